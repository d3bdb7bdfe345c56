import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QuotaExceededError } from '../../src/core/errors.js';
import { assertCliBuilt, parseJson, runBinary, type CliResult } from '../helpers/cli.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * `turbine usage` and `turbine usage export`, the real binary, over usage a real worker counted:
 * acme runs 3 tasks (one failing and dead-lettered) and has 1 refused; zeta submits 1.
 */

let world: TestWorld;

function turbine(...args: string[]): Promise<CliResult> {
  return runBinary([...args, '--backend-url', world.url, '--prefix', world.prefix]);
}

beforeAll(() => {
  assertCliBuilt();
});

beforeEach(async () => {
  world = new TestWorld();
  await world.tenant('acme', { maxTasksPerHour: 3 });
  await world.tenant('zeta');
  const echo = world.app.task({ name: 'echo', retries: 0 }, async (text: string) => text);
  const fails = world.app.task({ name: 'fails', retries: 0 }, async () => {
    throw new Error('no');
  });
  await world.startWorker();
  const done = [await echo.applyAsync({ args: ['hello'], tenantId: 'acme' }), await echo.applyAsync({ args: ['hi'], tenantId: 'acme' })];
  const failed = await fails.applyAsync({ args: [], tenantId: 'acme' });
  await expect(echo.applyAsync({ args: ['over'], tenantId: 'acme' })).rejects.toBeInstanceOf(QuotaExceededError);
  await echo.applyAsync({ args: ['z'], tenantId: 'zeta' });
  for (const result of done) await result.get({ timeoutMs: 10_000 });
  await expect(failed.get({ timeoutMs: 10_000 })).rejects.toThrow('no');
});

afterEach(() => world.close());

/** acme's counts summed over the rows (the run may straddle an hour). */
function sum(rows: Record<string, unknown>[], field: string): number {
  return rows.reduce((total, row) => total + Number(row[field]), 0);
}

describe('turbine usage', () => {
  it('prints a tenant’s usage as JSON with snake_case fields', async () => {
    const result = await turbine('usage', '--tenant', 'acme', '--from', '2h', '--json');
    expect(result.code, result.stderr).toBe(0);
    const rows = parseJson(result) as Record<string, unknown>[];
    expect(rows[0]).toMatchObject({ tenant_id: 'acme', period_start: expect.stringMatching(/T\d\d:00:00\.000Z$/) });
    const totals = Object.fromEntries(
      ['accepted', 'rejected', 'rejected_quota_hour', 'started', 'succeeded', 'failed', 'dead_lettered', 'payload_bytes', 'result_bytes'].map((f) => [f, sum(rows, f)]),
    );
    expect(totals).toEqual({
      accepted: 3,
      rejected: 1,
      rejected_quota_hour: 1,
      started: 3,
      succeeded: 2,
      failed: 1,
      dead_lettered: 1,
      payload_bytes: '["hello"]'.length + '["hi"]'.length + '[]'.length,
      result_bytes: '"hello"'.length + '"hi"'.length,
    });
    expect(sum(rows, 'handler_seconds')).toBeGreaterThan(0);
  });

  it('prints CSV, a table and days', async () => {
    const csv = await turbine('usage', '--tenant', 'acme', '--from', '2h', '--csv');
    expect(csv.code, csv.stderr).toBe(0);
    const [header, first] = csv.stdout.trim().split('\n');
    expect(header).toMatch(/^tenant_id,period_start,accepted,rejected,rejected_disabled,.*,handler_seconds,payload_bytes,result_bytes$/);
    expect(first).toMatch(/^acme,\d{4}-/);

    const table = await turbine('usage', '--tenant', 'acme', '--from', '2h');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^HOUR \(UTC\)\s+ACCEPTED\s+REJECTED\s+STARTED\s+SUCCEEDED\s+FAILED\s+DEAD\s+HANDLER S/);

    const days = await turbine('usage', '--tenant', 'acme', '--by', 'day', '--json');
    expect(days.code, days.stderr).toBe(0);
    const rows = parseJson(days) as Record<string, unknown>[];
    expect(rows.every((row) => String(row.period_start).endsWith('T00:00:00.000Z'))).toBe(true);
    expect(sum(rows, 'accepted')).toBe(3);

    const none = await turbine('usage', '--tenant', 'nobody');
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain("No usage counted for tenant 'nobody'");
  });

  it('refuses bad input with exit 2 and says how to fix it', async () => {
    const missing = await turbine('usage');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing --tenant: turbine usage --tenant <id>');
    const badTime = await turbine('usage', '--tenant', 'acme', '--from', 'yesterday');
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('Invalid --from "yesterday": expected an ISO 8601 time');
    const reversed = await turbine('usage', '--tenant', 'acme', '--from', '1h', '--to', '2h');
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain('swap from and to');
    const both = await turbine('usage', '--tenant', 'acme', '--csv', '--json');
    expect(both.code).toBe(2);
  });
});

describe('turbine usage export', () => {
  it('writes every tenant’s hours as CSV or JSON lines', async () => {
    const csv = await turbine('usage', 'export', '--from', '2h');
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^tenant_id,period_start,/);
    expect(new Set(lines.slice(1).map((line) => line.split(',')[0]))).toEqual(new Set(['acme', 'zeta']));

    const jsonl = await turbine('usage', 'export', '--from', '2h', '--format', 'jsonl');
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const rows = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(sum(rows.filter((r) => r.tenant_id === 'zeta'), 'accepted')).toBe(1);
    expect(sum(rows.filter((r) => r.tenant_id === 'acme'), 'succeeded')).toBe(2);

    const json = await turbine('usage', 'export', '--from', '2h', '--json');
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('--format jsonl');

    const noFrom = await turbine('usage', 'export');
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toContain('from');
  });
});
