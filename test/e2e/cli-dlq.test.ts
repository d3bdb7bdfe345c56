import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterEntryToJson } from '../../src/dlq/entry.js';
import { DeadLetterQueue } from '../../src/dlq/queue.js';
import { jobIdOf } from '../../src/core/task-ids.js';
import { Turbine } from '../../src/tasks/app.js';
import type { TaskDefinition } from '../../src/tasks/task.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import type { WorkerRuntime } from '../../src/worker/runtime.js';
import { startWorker } from '../../src/worker/start.js';
import { assertCliBuilt, expectFailure, parseJson, runBinary, runOnTerminal, type CliResult } from '../helpers/cli.js';
import { deletePrefix, pollUntil, rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';

/**
 * The real `turbine dlq …` binary (built by `npm run build`) against the test Redis. Entries are
 * made by a real worker running in this process under the test's own prefix; what the CLI
 * prints is checked against Redis and the SDK.
 */


const raw: Redis = rawClient();
let prefix: string;
let app: Turbine;
let manager: TenantManager;
let dlq: DeadLetterQueue;
let worker: WorkerRuntime | null;
let plain: Queue | null;
let failing: boolean;
let sendEmail: TaskDefinition<[string], string>;
let renderReport: TaskDefinition<[number], number>;

function turbine(...args: string[]): Promise<CliResult> {
  return runBinary(['dlq', ...args, '--backend-url', redisUrl(), '--prefix', prefix]);
}

function ok(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

const json = parseJson;

const entryKey = (entryId: string): string => `${prefix}:dlq:entry:${entryId}`;

interface Seeded {
  bob: string;
  report: string;
  eve: string;
  poison: string;
}

/**
 * Four entries, dead-lettered one after the other by a worker that keeps running (so that
 * replayed tasks run): acme's e-mail (2 attempts) and report, globex's e-mail, and a payload
 * no tenant owns.
 */
async function seed(): Promise<Seeded> {
  await manager.createTenant({ tenantId: 'acme', name: 'ACME' });
  await manager.createTenant({ tenantId: 'globex', name: 'Globex' });
  worker = await startWorker({ app, concurrency: 5, health: { port: 0, host: '127.0.0.1' }, log: { level: 'silent' }, metrics: { enabled: false } });
  await worker.ready();
  const ids: string[] = [];
  const next = async (entryId: string): Promise<void> => {
    ids.push(entryId);
    await pollUntil(() => dlq.count(), (n) => n === ids.length, { what: `${ids.length} entries` });
  };
  await next(`emails:${jobIdOf('acme', (await sendEmail.applyAsync({ args: ['bob@acme.com'], tenantId: 'acme' })).taskId)}`);
  await next(`default:${jobIdOf('acme', (await renderReport.applyAsync({ args: [3], tenantId: 'acme' })).taskId)}`);
  await next(`emails:${jobIdOf('globex', (await sendEmail.applyAsync({ args: ['eve@globex.com'], tenantId: 'globex' })).taskId)}`);
  plain = new Queue('default', { connection: { url: redisUrl() }, prefix: app.keys.bullPrefix() });
  await next(`default:${(await plain.add('render_report', { not: 'a turbine task' })).id}`);
  failing = false;
  const [bob, report, eve, poison] = ids as [string, string, string, string];
  return { bob, report, eve, poison };
}

beforeAll(() => {
  assertCliBuilt();
});

beforeEach(() => {
  prefix = uniquePrefix();
  app = new Turbine({ backendUrl: redisUrl(), prefix });
  manager = new TenantManager({ backendUrl: redisUrl(), prefix, actor: 'test' });
  dlq = new DeadLetterQueue({ backendUrl: redisUrl(), prefix });
  worker = null;
  plain = null;
  failing = true;
  sendEmail = app.task({ name: 'send_email', queue: 'emails', retries: 1, backoff: 10 }, async (to: string) => {
    if (failing) throw new Error(`SMTP refused ${to}\nsecond line of the message`);
    return `sent to ${to}`;
  });
  renderReport = app.task({ name: 'render_report', retries: 0 }, async (pages: number) => {
    if (failing) throw new Error('renderer crashed');
    return pages;
  });
});

afterEach(async () => {
  await worker?.close({ force: true });
  await plain?.close();
  await Promise.all([app.close(), manager.close(), dlq.close()]);
  await deletePrefix(raw, prefix);
});

afterAll(() => raw.quit());

describe('turbine dlq list', () => {
  it('prints a table newest first: id, tenant, queue, task, reason, attempts, dead at, first line of the error', async () => {
    const s = await seed();
    const lines = ok(await turbine('list')).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +TENANT +QUEUE +TASK +REASON +ATTEMPTS +DEAD AT +ERROR$/);
    const order = await raw.zrevrange(`${prefix}:dlq`, 0, -1);
    expect(lines.slice(1).map((line) => line.split(/ +/)[0])).toEqual(order);
    const row = (id: string): string => lines.find((line) => line.startsWith(`${id} `))!;
    expect(row(s.bob)).toMatch(/^emails:acme@\w+ +acme +emails +send_email +retries_exhausted +2 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +SMTP refused bob@acme.com$/);
    expect(row(s.report)).toMatch(/ acme +default +render_report +retries_exhausted +1 .* renderer crashed$/);
    expect(row(s.poison)).toMatch(/^default:\d+ +- +default +render_report +undecodable_payload +1 /);
  });

  it('filters by tenant and queue, pages with --limit/--offset, prints JSON with the stored names', async () => {
    const s = await seed();
    const ids = (out: string): string[] => out.trimEnd().split('\n').slice(1).map((line) => line.split(' ')[0]!);
    expect(ids(ok(await turbine('list', '--tenant', 'acme'))).sort()).toEqual([s.bob, s.report].sort());
    expect(ids(ok(await turbine('list', '--queue', 'emails'))).sort()).toEqual([s.bob, s.eve].sort());
    expect(ids(ok(await turbine('list', '--tenant', 'acme', '--queue', 'default')))).toEqual([s.report]);

    const order = await raw.zrevrange(`${prefix}:dlq`, 0, -1);
    const page = await turbine('list', '--limit', '2', '--offset', '1');
    expect(ids(ok(page))).toEqual(order.slice(1, 3));
    expect(page.stderr).toBe('Showing 2-3 of 4; see more with --offset 3\n');

    const printed = json<Record<string, unknown>[]>(await turbine('list', '--json'));
    expect(printed).toEqual((await dlq.list()).map(deadLetterEntryToJson));
    expect(Object.keys(printed[0]!).sort()).toEqual(
      ['args', 'attempts', 'data', 'dead_at', 'entry_id', 'error', 'job_id', 'job_options', 'queue', 'reason', 'stack', 'submitted_at', 'task', 'task_id', 'tenant_id'],
    );
    expect(json(await turbine('list', '--tenant', 'initech', '--json'))).toEqual([]);
    expect(ok(await turbine('list', '--tenant', 'initech'))).toBe("No dead-letter entries of tenant 'initech'.\n");
  });

  it('refuses bad input with exit 2', async () => {
    expectFailure(await turbine('list', '--limit', '0'), 2, 'Invalid --limit "0"');
    expectFailure(await turbine('list', '--offset', 'x'), 2, 'Invalid --offset "x"');
    expectFailure(await turbine('list', '--tenant', 'bad:id'), 2, 'Invalid tenant id "bad:id"');
    expectFailure(await turbine('list', '--queue', 'a b'), 2, 'Invalid queue name "a b"');
    expectFailure(await turbine('list', '--bogus'), 2, 'Unknown flag --bogus');
  });
});

describe('turbine dlq show', () => {
  it('shows every field, the error and the stack; --json as stored', async () => {
    const s = await seed();
    const out = ok(await turbine('show', s.bob));
    expect(out).toContain(`Entry ID:      ${s.bob}\n`);
    expect(out).toMatch(/Tenant: +acme\nQueue: +emails\nTask: +send_email\n/);
    expect(out).toMatch(/Reason: +retries_exhausted \(failed on every attempt its retry policy allowed\)\nAttempts: +2\n/);
    expect(out).toContain('Args:          ["bob@acme.com"]\n');
    expect(out).toContain('Error:\n  SMTP refused bob@acme.com\n  second line of the message\n');
    expect(out).toMatch(/Stack:\n {2}Error: SMTP refused bob@acme.com\n {2}second line of the message\n {6}at /);
    expect(json(await turbine('show', s.bob, '--json'))).toEqual(deadLetterEntryToJson((await dlq.get(s.bob))!));

    const poison = ok(await turbine('show', s.poison));
    expect(poison).toMatch(/Tenant: +\(unknown\)\n/);
    expect(poison).toContain('Data (undecodable):  {"not":"a turbine task"}');
  });

  it("with --tenant, answers another tenant's entry as not found", async () => {
    const s = await seed();
    expectFailure(await turbine('show', s.eve, '--tenant', 'acme'), 1, `Dead-letter entry '${s.eve}' not found`);
    expect(json(await turbine('show', s.eve, '--tenant', 'globex', '--json'))).toMatchObject({ entry_id: s.eve, tenant_id: 'globex' });
    expectFailure(await turbine('replay', s.eve, '--tenant', 'acme'), 1, `Dead-letter entry '${s.eve}' not found`);
    expect(await raw.exists(entryKey(s.eve))).toBe(1);
  });

  it('exits 1 for an unknown entry and 2 for a malformed id', async () => {
    expectFailure(await turbine('show', 'emails:404'), 1, "Dead-letter entry 'emails:404' not found");
    expectFailure(await turbine('show', 'no-colon'), 2, 'Invalid dead-letter entry id "no-colon"');
    expectFailure(await turbine('show'), 2, 'Not enough non-option arguments');
  });
});

describe('turbine dlq replay', () => {
  it('replays one entry: the task runs again, the entry goes; the same id again is not found', async () => {
    const s = await seed();
    const out = ok(await turbine('replay', s.bob));
    const match = new RegExp(`^Replayed ${s.bob} as task (\\S+) in queue 'emails' \\(queued\\)\n$`).exec(out);
    expect(match, out).not.toBeNull();
    const taskId = match![1]!;
    expect(await app.result(taskId, { queue: 'emails', tenantId: 'acme' }).get({ timeoutMs: 10_000 })).toBe('sent to bob@acme.com');
    expect(await raw.exists(entryKey(s.bob))).toBe(0);
    expectFailure(await turbine('replay', s.bob), 1, `Dead-letter entry '${s.bob}' not found`);

    const replayed = json<Record<string, unknown>>(await turbine('replay', s.eve, '--json'));
    expect(replayed).toMatchObject({ entry_id: s.eve, ok: true, tenant_id: 'globex', queue: 'emails', task: 'send_email', placement: 'queued' });
  });

  it('exits 1 and keeps the entry when the quota refuses it or the payload cannot be replayed', async () => {
    const s = await seed();
    await manager.updateTenant('acme', { quotas: { maxTasksPerHour: 2 } });
    expectFailure(await turbine('replay', s.report), 1, /^Error: Not replayed: Hourly task quota exceeded \(2\); resets in .*; the entry is kept$/);
    expect(await raw.exists(entryKey(s.report))).toBe(1);
    expectFailure(await turbine('replay', s.poison), 1, /^Error: Not replayed: Dead-letter entry 'default:\d+' cannot be replayed: its payload is not a Turbine task/);
    expect(await raw.exists(entryKey(s.poison))).toBe(1);
  });

  it('replays every entry of a tenant with --tenant --all, and reports refusals per entry', async () => {
    const s = await seed();
    await manager.updateTenant('acme', { quotas: { maxTasksPerHour: 3 } });
    // acme has used 2 of 3: the older entry is replayed, the newer refused.
    const result = await turbine('replay', '--tenant', 'acme', '--all');
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ENTRY ID +RESULT +TASK ID \/ WHY REFUSED$/);
    expect(lines[1]).toMatch(new RegExp(`^${s.bob} +replayed +\\S+ \\(queued\\)$`));
    expect(lines[2]).toMatch(new RegExp(`^${s.report} +refused +Hourly task quota exceeded \\(3\\)`));
    expect(lines.at(-1)).toBe("Replayed 1 of 2 entries of tenant 'acme'; 1 refused and kept in the dead-letter queue");
    expect(await raw.exists(entryKey(s.report))).toBe(1);

    await manager.updateTenant('acme', { quotas: { maxTasksPerHour: null } });
    const all = json<{ replayed: number; refused: number; results: Record<string, unknown>[] }>(
      await turbine('replay', '--tenant', 'acme', '--all', '--queue', 'default', '--json'),
    );
    expect(all).toMatchObject({ replayed: 1, refused: 0, results: [{ entry_id: s.report, ok: true, placement: 'queued' }] });
    expect((await dlq.list()).map((e) => e.entryId).sort()).toEqual([s.eve, s.poison].sort());
    expect(ok(await turbine('replay', '--tenant', 'acme', '--all'))).toBe("No dead-letter entries of tenant 'acme' to replay.\n");
  });

  it('needs an entry id or --tenant with --all (exit 2)', async () => {
    expectFailure(await turbine('replay'), 2, 'Nothing to replay: pass an entry id');
    expectFailure(await turbine('replay', '--tenant', 'acme'), 2, "Replaying every dead-letter entry of tenant 'acme' needs --all");
    expectFailure(await turbine('replay', 'emails:1', '--tenant', 'acme', '--all'), 2, 'Pass either an entry id [--tenant <tenant-id>], or --tenant');
    expectFailure(await turbine('replay', '--all'), 2, 'Nothing to replay');
  });
});

describe('turbine dlq purge', () => {
  it('refuses to purge without --force when stdin is not a terminal, and bad durations', async () => {
    await seed();
    expectFailure(await turbine('purge'), 2, 'Not purging dead-letter entries without confirmation: stdin is not a terminal; pass --force');
    expectFailure(await turbine('purge', '--older-than', '7x', '--force'), 2, 'Invalid --older-than "7x": expected a number and a unit, e.g. 30m, 12h, 7d');
    expectFailure(await turbine('purge', '--older-than', '-1d', '--force'), 2, 'Invalid --older-than');
    expect(await dlq.count()).toBe(4);
  });

  it('purges by age, tenant and queue with --force', async () => {
    const s = await seed();
    expect(ok(await turbine('purge', '--older-than', '7d', '--force'))).toBe('Purged 0 dead-letter entries\n');
    expect(ok(await turbine('purge', '--tenant', 'acme', '--queue', 'emails', '--force'))).toBe('Purged 1 dead-letter entry\n');
    expect(await raw.exists(entryKey(s.bob))).toBe(0);
    expect(json(await turbine('purge', '--queue', 'default', '--force', '--json'))).toEqual({ purged: 2 });
    expect((await dlq.list()).map((e) => e.entryId)).toEqual([s.eve]);
    expect(ok(await turbine('purge', '--older-than', '0s', '--force'))).toBe('Purged 1 dead-letter entry\n');
    expect(await raw.keys(`${prefix}:dlq*`)).toEqual([]);
  });

  it('fails fast on an unreachable Redis with exit 1', async () => {
    const result = await runBinary(['dlq', 'purge', '--force', '--backend-url', 'redis://127.0.0.1:1']);
    expectFailure(result, 1, 'Cannot reach Redis at redis://127.0.0.1:1');
  });
});

/** `script` runs a command on a pseudo-terminal, so the CLI sees a TTY on stdin. */
/** `turbine dlq <args>` on a pseudo-terminal, answering the prompt. */
function onTerminal(args: readonly string[], answer: string): Promise<CliResult> {
  return runOnTerminal(['dlq', ...args, '--backend-url', redisUrl(), '--prefix', prefix], answer);
}

describe('turbine dlq purge on a terminal', () => {
  it("asks with the count and purges on 'y'", async () => {
    await seed();
    const result = await onTerminal(['purge', '--tenant', 'acme'], 'y');
    expect(result.stdout).toContain("Purge 2 dead-letter entries of tenant 'acme'? [y/N]");
    expect(result.stdout).toContain('Purged 2 dead-letter entries');
    expect(result.code).toBe(0);
    expect(await dlq.count()).toBe(2);
  });

  it("keeps everything on 'n', exit 1", async () => {
    await seed();
    const result = await onTerminal(['purge'], 'n');
    expect(result.stdout).toContain('Purge 4 dead-letter entries? [y/N]');
    expect(result.stdout).toContain('Aborted: nothing was purged');
    expect(result.code).toBe(1);
    expect(await dlq.count()).toBe(4);
  });

  it('does not ask when nothing matches', async () => {
    const result = await onTerminal(['purge', '--tenant', 'acme'], 'y');
    expect(result.stdout).not.toContain('[y/N]');
    expect(result.stdout).toContain("No dead-letter entries of tenant 'acme'; nothing purged.");
    expect(result.code).toBe(0);
  });
});
