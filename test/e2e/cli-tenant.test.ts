import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { confirm } from '../../src/cli/prompt.js';
import { Turbine } from '../../src/tasks/app.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import { assertCliBuilt, cleanEnv, expectFailure, parseJson, runBinary, runOnTerminal, type CliResult } from '../helpers/cli.js';
import { CLI_BIN } from '../helpers/processes.js';
import { deletePrefix, rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';

/**
 * The real `turbine` binary (built by `npm test` before the tests run) against the test Redis.
 * Each test has its own key prefix; every write the CLI reports is read back with a raw client.
 */

const ACTOR = 'cli-test';

const raw: Redis = rawClient();
let prefix: string;

/** `turbine <args>` against the test Redis, under the test's prefix. */
function turbine(...args: string[]): Promise<CliResult> {
  return runBinary([...args, '--backend-url', redisUrl(), '--prefix', prefix, '--actor', ACTOR]);
}

const json = parseJson;

const tenantKey = (id: string): string => `${prefix}:tenant:${id}`;

const ALL_QUOTA_FLAGS = [
  '--max-tasks-per-hour', '1000',
  '--max-tasks-per-day', '10000',
  '--max-concurrent-tasks', '50',
  '--max-queue-length', '500',
  '--max-task-size-bytes', '1048576',
  '--max-result-size-bytes', '5242880',
  '--allowed-queues', 'default,emails,processing',
  '--max-retry-count', '5',
  '--max-stored-results', '20000',
  '--weight', '2',
  '--max-tasks-per-second', '50',
  '--max-tasks-per-minute', '2000',
  '--rate-burst', '10',
  '--rate-limit-mode', 'reject',
];

async function createAcme(...extra: string[]): Promise<void> {
  const result = await turbine('tenant', 'create', 'acme-corp', 'ACME Corporation', ...extra);
  expect(result.code, result.stderr).toBe(0);
}

beforeAll(() => {
  assertCliBuilt();
});

beforeEach(() => {
  prefix = uniquePrefix();
});

afterEach(async () => {
  await deletePrefix(raw, prefix);
});

afterAll(() => raw.quit());

describe('turbine tenant create', () => {
  it('creates a tenant with every quota flag and metadata, as stored in Redis', async () => {
    const result = await turbine(
      'tenant', 'create', 'acme-corp', 'ACME Corporation', ...ALL_QUOTA_FLAGS,
      '--metadata', 'plan=enterprise',
      '--metadata', 'contact=admin@acme-corp.com',
      '--metadata', 'seats=25',
      '--metadata', 'trial=false',
      '--metadata', 'owner=null',
      '--metadata', 'limits={"burst":3}',
      '--metadata', 'zip="02134"',
      '--metadata', 'account=12345678901234567890',
      '--metadata', 'formula=a=b',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Created tenant 'acme-corp'\n/);
    expect(result.stdout).toMatch(/allowed_queues: +default, emails, processing/);

    const hash = await raw.hgetall(tenantKey('acme-corp'));
    expect(hash).toMatchObject({
      tenant_id: 'acme-corp',
      name: 'ACME Corporation',
      enabled: 'true',
      max_tasks_per_hour: '1000',
      max_tasks_per_day: '10000',
      max_concurrent_tasks: '50',
      max_queue_length: '500',
      max_task_size_bytes: '1048576',
      max_result_size_bytes: '5242880',
      allowed_queues: '["default","emails","processing"]',
      max_retry_count: '5',
      max_stored_results: '20000',
      weight: '2',
      max_tasks_per_second: '50',
      max_tasks_per_minute: '2000',
      rate_burst: '10',
      rate_limit_mode: 'reject',
    });
    expect(JSON.parse(hash.metadata!)).toEqual({
      plan: 'enterprise',
      contact: 'admin@acme-corp.com',
      seats: 25,
      trial: false,
      owner: null,
      limits: { burst: 3 },
      zip: '02134',
      // Too large for a JSON number without losing digits: kept as typed.
      account: '12345678901234567890',
      formula: 'a=b',
    });
    expect(await raw.sismember(`${prefix}:tenants`, 'acme-corp')).toBe(1);
  });

  it('creates a disabled tenant with no quotas and prints it as JSON', async () => {
    const created = json<Record<string, unknown>>(
      await turbine('tenant', 'create', 'globex', 'Globex', '--disabled', '--json'),
    );
    expect(created).toMatchObject({ tenant_id: 'globex', name: 'Globex', enabled: false, pool: 'shared', metadata: {} });
    expect(Object.values(created.quotas as object).every((v) => v === null)).toBe(true);
    const hash = await raw.hgetall(tenantKey('globex'));
    expect(hash.enabled).toBe('false');
    expect(Object.keys(hash).filter((field) => field.startsWith('max_') || field === 'allowed_queues')).toEqual([]);
  });

  it('refuses an existing tenant id with exit 1 and keeps the first one', async () => {
    await createAcme();
    expectFailure(
      await turbine('tenant', 'create', 'acme-corp', 'Other'),
      1,
      "Tenant 'acme-corp' already exists; change it with 'turbine tenant update acme-corp'",
    );
    expect(await raw.hget(tenantKey('acme-corp'), 'name')).toBe('ACME Corporation');
  });

  it('refuses bad input with exit 2, naming the problem, and writes nothing', async () => {
    expectFailure(await turbine('tenant', 'create', 'acme corp', 'ACME'), 2, 'Invalid tenant id "acme corp"');
    expectFailure(await turbine('tenant', 'create', 'acme:x', 'ACME'), 2, 'Invalid tenant id "acme:x"');
    // Flags given to `tenant create acme-corp ACME`, and what the refusal names.
    const badFlags: [string[], string][] = [
      [['--max-tasks-per-hour', 'lots'], 'Invalid --max-tasks-per-hour "lots": expected a number'],
      [['--max-concurrent-tasks', '-5'], 'Invalid quota max_concurrent_tasks: must be a non-negative integer'],
      [['--max-retry-count', '1.5'], 'Invalid quota max_retry_count'],
      [['--weight', '0'], 'Invalid quota weight: must be an integer from 1 to 10000'],
      [['--max-tasks-per-second', '0'], 'Invalid quota max_tasks_per_second: must be an integer from 1 to 1000000, or null for unlimited'],
      [['--max-tasks-per-minute', 'fast'], 'Invalid --max-tasks-per-minute "fast": expected a number'],
      [['--rate-limit-mode', 'drop'], 'Invalid quota rate_limit_mode: must be one of throttle, reject'],
      [['--allowed-queues', 'emails,bad queue'], 'Invalid quota allowed_queues'],
      [['--max-queue-length', '1', '--max-queue-length', '2'], '--max-queue-length was given more than once'],
      [['--metadata', 'plan'], 'Invalid --metadata "plan": expected key=value'],
    ];
    for (const [flags, message] of badFlags) {
      expectFailure(await turbine('tenant', 'create', 'acme-corp', 'ACME', ...flags), 2, message);
    }
    expectFailure(await turbine('tenant', 'create', 'acme-corp', ' '), 2, 'Invalid tenant name');
    expectFailure(await turbine('tenant', 'create', 'acme-corp', 'ACME', '--max-tasks-per-day'), 2, 'max-tasks-per-day');
    expect(await raw.keys(`${prefix}:*`)).toEqual([]);
  });
});

describe('turbine tenant list', () => {
  it('says so when there is no tenant', async () => {
    const result = await turbine('tenant', 'list');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No tenants.');
    expect(json<unknown[]>(await turbine('tenant', 'list', '--json'))).toEqual([]);
  });

  it('lists tenants sorted by id with their key quotas, as a table and as JSON', async () => {
    await turbine('tenant', 'create', 'zeta', 'Zeta Ltd', '--max-tasks-per-hour', '100', '--disabled');
    await createAcme('--max-tasks-per-day', '10000', '--max-concurrent-tasks', '50');
    const result = await turbine('tenant', 'list');
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]!.split(/ {2,}/)).toEqual(['TENANT ID', 'NAME', 'ENABLED', 'POOL', 'MAX/HOUR', 'MAX/DAY', 'MAX CONCURRENT', 'MAX QUEUE']);
    expect(lines[1]!.split(/ {2,}/)).toEqual(['acme-corp', 'ACME Corporation', 'yes', 'shared', 'unlimited', '10000', '50', 'unlimited']);
    expect(lines[2]!.split(/ {2,}/)).toEqual(['zeta', 'Zeta Ltd', 'no', 'shared', '100', 'unlimited', 'unlimited', 'unlimited']);
    // Columns line up: names start under NAME, numbers end under the end of MAX/DAY.
    const nameAt = lines[0]!.indexOf('NAME');
    expect(lines.map((line) => line.slice(nameAt, nameAt + 4))).toEqual(['NAME', 'ACME', 'Zeta']);
    const dayEnd = lines[0]!.indexOf('MAX/DAY') + 'MAX/DAY'.length;
    expect(lines.map((line) => line.slice(dayEnd - 5, dayEnd))).toEqual(['X/DAY', '10000', 'mited']);

    const listed = json<{ tenant_id: string; enabled: boolean }[]>(await turbine('tenant', 'list', '--json'));
    expect(listed.map((t) => [t.tenant_id, t.enabled])).toEqual([['acme-corp', true], ['zeta', false]]);
  });
});

describe('output to a pipe', () => {
  it('stops quietly, exit 0, when the reader closes the pipe early (`| head`)', async () => {
    // More output than a pipe buffers, so that the CLI is still writing when the reader leaves.
    const manager = new TenantManager({ backendUrl: redisUrl(), prefix });
    try {
      for (let i = 0; i < 1500; i++) await manager.createTenant({ tenantId: `tenant-${i}`, name: `Tenant number ${i}` });
    } finally {
      await manager.close();
    }
    const child = spawn(process.execPath, [CLI_BIN, 'tenant', 'list', '--json', '--backend-url', redisUrl(), '--prefix', prefix], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('turbine tenant get', () => {
  it('shows every field and every quota, unset ones as unlimited', async () => {
    await createAcme('--max-tasks-per-hour', '1000', '--allowed-queues', 'default,emails', '--metadata', 'plan=enterprise');
    const result = await turbine('tenant', 'get', 'acme-corp');
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^Tenant ID: +acme-corp$/m);
    expect(out).toMatch(/^Name: +ACME Corporation$/m);
    expect(out).toMatch(/^Enabled: +yes$/m);
    expect(out).toMatch(/^Created: +\d{4}-\d\d-\d\dT/m);
    expect(out).toMatch(/^ {2}max_tasks_per_hour: +1000$/m);
    expect(out).toMatch(/^ {2}allowed_queues: +default, emails$/m);
    for (const unset of ['max_tasks_per_day', 'max_concurrent_tasks', 'max_queue_length', 'max_task_size_bytes', 'max_result_size_bytes', 'max_retry_count']) {
      expect(out).toMatch(new RegExp(`^ {2}${unset}: +unlimited$`, 'm'));
    }
    expect(out).toMatch(/^ {2}weight: +1$/m);
    expect(out).toMatch(/^ {2}max_tasks_per_second: +unlimited$/m);
    expect(out).toMatch(/^ {2}rate_burst: +one second's worth$/m);
    expect(out).toMatch(/^ {2}rate_limit_mode: +throttle$/m);
    expect(out).toMatch(/^Metadata\n {2}plan: +enterprise$/m);
  });

  it('prints the Python SDK-named JSON with --json', async () => {
    await createAcme(...ALL_QUOTA_FLAGS, '--metadata', 'plan=enterprise');
    const tenant = json<Record<string, unknown>>(await turbine('tenant', 'get', 'acme-corp', '--json'));
    const hash = await raw.hgetall(tenantKey('acme-corp'));
    expect(tenant).toEqual({
      tenant_id: 'acme-corp',
      name: 'ACME Corporation',
      enabled: true,
      pool: 'shared',
      quotas: {
        max_tasks_per_hour: 1000,
        max_tasks_per_day: 10000,
        max_concurrent_tasks: 50,
        max_queue_length: 500,
        max_task_size_bytes: 1048576,
        max_result_size_bytes: 5242880,
        allowed_queues: ['default', 'emails', 'processing'],
        max_retry_count: 5,
        max_stored_results: 20000,
        weight: 2,
        max_tasks_per_second: 50,
        max_tasks_per_minute: 2000,
        rate_burst: 10,
        rate_limit_mode: 'reject',
      },
      metadata: { plan: 'enterprise' },
      created_at: hash.created_at,
      updated_at: hash.updated_at,
    });
  });

  it("reports an absent tenant with the Python SDK's message, exit 1", async () => {
    expectFailure(await turbine('tenant', 'get', 'acme-corp'), 1, /^Error: Tenant 'acme-corp' not found; see 'turbine tenant list'/);
    expectFailure(await turbine('tenant', 'get', 'acme-corp', '--json'), 1, /^Error: Tenant 'acme-corp' not found; see 'turbine tenant list'/);
  });

  it('shows control characters in names escaped, so they cannot redraw the terminal', async () => {
    await turbine('tenant', 'create', 'acme-corp', 'ACME\u001b[2JCorp');
    const result = await turbine('tenant', 'get', 'acme-corp');
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toMatch(/^Name: +ACME\\u001b\[2JCorp$/m);
  });
});

describe('turbine tenant update', () => {
  it("changes the name, as the Python SDK's docs show", async () => {
    await createAcme();
    const result = await turbine('tenant', 'update', 'acme-corp', '--name', 'ACME Inc.');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Updated tenant 'acme-corp'\n/);
    expect(result.stdout).toMatch(/^Name: +ACME Inc\.$/m);
    expect(await raw.hget(tenantKey('acme-corp'), 'name')).toBe('ACME Inc.');
  });

  it('sets and clears the rate limit with its flags', async () => {
    await createAcme();
    const limited = json<{ quotas: Record<string, unknown> }>(
      await turbine('tenant', 'update', 'acme-corp', '--max-tasks-per-second', '20', '--rate-burst', '5', '--rate-limit-mode', 'reject', '--json'),
    );
    expect(limited.quotas).toMatchObject({ max_tasks_per_second: 20, max_tasks_per_minute: null, rate_burst: 5, rate_limit_mode: 'reject' });
    const cleared = json<{ quotas: Record<string, unknown> }>(
      await turbine('tenant', 'update', 'acme-corp', '--max-tasks-per-second', 'unlimited', '--rate-limit-mode', 'unlimited', '--json'),
    );
    expect(cleared.quotas).toMatchObject({ max_tasks_per_second: null, rate_burst: 5, rate_limit_mode: null });
    expect(await raw.hmget(tenantKey('acme-corp'), 'max_tasks_per_second', 'rate_limit_mode')).toEqual([null, null]);
    const stats = json<Record<string, unknown>>(await turbine('tenant', 'stats', 'acme-corp', '--json'));
    expect(stats.rate_limited_until).toBeNull();
    await turbine('tenant', 'update', 'acme-corp', '--max-tasks-per-minute', '600');
    const table = await turbine('tenant', 'stats', 'acme-corp');
    expect(table.stdout).toMatch(/^Rate limit: 600 per minute, burst 5, throttle; not holding tasks back now$/m);
  });

  it('disables and enables a tenant with --enabled false|true', async () => {
    await createAcme();
    const disabled = json<{ enabled: boolean }>(await turbine('tenant', 'update', 'acme-corp', '--enabled', 'false', '--json'));
    expect(disabled.enabled).toBe(false);
    expect(await raw.hget(tenantKey('acme-corp'), 'enabled')).toBe('false');
    const enabled = json<{ enabled: boolean }>(await turbine('tenant', 'update', 'acme-corp', '--enabled', 'true', '--json'));
    expect(enabled.enabled).toBe(true);
    expect(await raw.hget(tenantKey('acme-corp'), 'enabled')).toBe('true');
  });

  it('merges quota changes and clears a quota with unlimited or none', async () => {
    await createAcme(...ALL_QUOTA_FLAGS);
    const result = await turbine(
      'tenant', 'update', 'acme-corp',
      '--max-tasks-per-hour', '2000',
      '--max-queue-length', 'unlimited',
      '--allowed-queues', 'none',
      '--json',
    );
    const tenant = json<{ quotas: Record<string, unknown> }>(result);
    expect(tenant.quotas).toEqual({
      max_tasks_per_hour: 2000,
      max_tasks_per_day: 10000,
      max_concurrent_tasks: 50,
      max_queue_length: null,
      max_task_size_bytes: 1048576,
      max_result_size_bytes: 5242880,
      allowed_queues: null,
      max_retry_count: 5,
      max_stored_results: 20000,
      weight: 2,
      max_tasks_per_second: 50,
      max_tasks_per_minute: 2000,
      rate_burst: 10,
      rate_limit_mode: 'reject',
    });
    expect(await raw.hget(tenantKey('acme-corp'), 'max_tasks_per_hour')).toBe('2000');
    expect(await raw.hexists(tenantKey('acme-corp'), 'max_queue_length')).toBe(0);
    expect(await raw.hexists(tenantKey('acme-corp'), 'allowed_queues')).toBe(0);
    expect(await raw.hget(tenantKey('acme-corp'), 'max_tasks_per_day')).toBe('10000');
  });

  it('creates a tenant in a worker pool and moves it to another with --pool, audited', async () => {
    const created = json<{ pool: string }>(await turbine('tenant', 'create', 'acme-corp', 'ACME', '--pool', 'premium', '--json'));
    expect(created.pool).toBe('premium');
    expect(await raw.hget(tenantKey('acme-corp'), 'pool')).toBe('premium');
    const moved = await turbine('tenant', 'update', 'acme-corp', '--pool', 'shared');
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/^Pool: +shared$/m);
    expect(await raw.hget(tenantKey('acme-corp'), 'pool')).toBe('shared');
    const [latest] = json<{ action: string; changes: unknown }[]>(await turbine('tenant', 'audit', 'acme-corp', '--json'));
    expect(latest).toMatchObject({ action: 'update', changes: { pool: { from: 'premium', to: 'shared' } } });
  });

  it('refuses a bad pool name with exit 2 and writes nothing', async () => {
    expectFailure(await turbine('tenant', 'create', 'acme-corp', 'ACME', '--pool', 'gold@eu'), 2, 'Invalid pool "gold@eu"');
    expect(await raw.exists(tenantKey('acme-corp'))).toBe(0);
    await createAcme();
    expectFailure(await turbine('tenant', 'update', 'acme-corp', '--pool', ''), 2, /--pool|Invalid pool/);
    expect(await raw.hget(tenantKey('acme-corp'), 'pool')).toBe('shared');
  });

  it('replaces the metadata', async () => {
    await createAcme('--metadata', 'plan=free', '--metadata', 'contact=a@b.c');
    await turbine('tenant', 'update', 'acme-corp', '--metadata', 'plan=pro', '--metadata', 'seats=10');
    expect(JSON.parse((await raw.hget(tenantKey('acme-corp'), 'metadata'))!)).toEqual({ plan: 'pro', seats: 10 });
  });

  it('refuses bad input with exit 2 and an absent tenant with exit 1', async () => {
    await createAcme('--max-tasks-per-hour', '1000');
    expectFailure(await turbine('tenant', 'update', 'acme-corp'), 2, 'Nothing to update');
    expectFailure(await turbine('tenant', 'update', 'acme-corp', '--enabled', 'maybe'), 2, 'Invalid --enabled "maybe": expected true or false');
    expectFailure(await turbine('tenant', 'update', 'acme-corp', '--max-tasks-per-hour', 'abc'), 2, 'Invalid --max-tasks-per-hour "abc"');
    expectFailure(await turbine('tenant', 'update', 'acme-corp', '--max-tasks-per-hour', '-1'), 2, 'Invalid quota max_tasks_per_hour');
    expectFailure(await turbine('tenant', 'update', 'bad id', '--name', 'x'), 2, 'Invalid tenant id "bad id"');
    expect(await raw.hget(tenantKey('acme-corp'), 'max_tasks_per_hour')).toBe('1000');
    expectFailure(await turbine('tenant', 'update', 'nobody', '--name', 'x'), 1, /^Error: Tenant 'nobody' not found; see 'turbine tenant list'/);
  });
});

describe('turbine tenant stats', () => {
  it("prints the Python SDK's counters and the pending breakdown", async () => {
    await createAcme('--max-tasks-per-hour', '1000', '--max-stored-results', '500');
    await raw.set(`${tenantKey('acme-corp')}:usage:tasks_hour`, '523', 'PX', 3_600_000);
    await raw.set(`${tenantKey('acme-corp')}:usage:tasks_day`, '8734', 'PX', 86_400_000);
    await raw.set(`${tenantKey('acme-corp')}:usage:total`, '125403');
    // The running count comes from the tenant's running leases (usage:concurrent only mirrors them).
    const leases = Array.from({ length: 12 }, (_, i) => [Date.now() + 60_000, `job-${i}`]).flat();
    await raw.zadd(`${tenantKey('acme-corp')}:slots:emails`, ...leases);
    await raw.sadd(`${tenantKey('acme-corp')}:queues`, 'emails');
    // Stored results count the tenant's entries as old as BullMQ's oldest kept job or newer.
    await raw.zadd(`${tenantKey('acme-corp')}:stored:emails:completed`, 1, 'job-z', 2, 'job-a', 3, 'job-b');
    await raw.zadd(`${tenantKey('acme-corp')}:stored:emails:failed`, 3, 'job-c');
    await raw.zadd(`${prefix}:q:emails:completed`, 2, 'job-a', 3, 'job-b');
    await raw.zadd(`${prefix}:q:emails:failed`, 3, 'job-c');

    const before = Date.now();
    const stats = json<Record<string, unknown>>(await turbine('tenant', 'stats', 'acme-corp', '--json'));
    expect(stats).toMatchObject({
      tasks_hour: 523,
      tasks_day: 8734,
      concurrent_tasks: 12,
      total_tasks: 125403,
      pending_tasks: 0,
      held_tasks: 0,
      waiting_tasks: 0,
      deferred_tasks: 0,
      stored_results: 3,
    });
    const hourReset = Date.parse(String(stats.hour_resets_at));
    expect(hourReset).toBeGreaterThan(before);
    expect(hourReset).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(Date.parse(String(stats.day_resets_at))).toBeGreaterThan(hourReset);

    const table = await turbine('tenant', 'stats', 'acme-corp');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^tasks_hour +523 +1000 +in (59m|1h)/m);
    expect(table.stdout).toMatch(/^tasks_day +8734 +unlimited +in (23h|1d|24h)/m);
    expect(table.stdout).toMatch(/^concurrent_tasks +12 +unlimited$/m);
    expect(table.stdout).toMatch(/^total_tasks +125403$/m);
    expect(table.stdout).toMatch(/^ {2}held_tasks +0$/m);
    expect(table.stdout).toMatch(/^stored_results +3 +500$/m);
  });

  it('counts a submitted task as pending', async () => {
    await createAcme();
    const app = new Turbine({ backendUrl: redisUrl(), prefix });
    try {
      const sendEmail = app.task({ name: 'send_email', queue: 'emails' }, async (to: string) => to);
      await sendEmail.applyAsync({ args: ['a@b.c'], tenantId: 'acme-corp' });
    } finally {
      await app.close();
    }
    const stats = json<Record<string, number>>(await turbine('tenant', 'stats', 'acme-corp', '--json'));
    expect(stats.pending_tasks).toBe(1);
    expect(stats.tasks_hour).toBe(1);
    expect(stats.total_tasks).toBe(1);
  });

  it('reports an absent tenant with exit 1', async () => {
    expectFailure(await turbine('tenant', 'stats', 'acme-corp'), 1, /^Error: Tenant 'acme-corp' not found; see 'turbine tenant list'/);
  });
});

describe('turbine tenant audit', () => {
  it('shows who changed what, newest first, and honours --limit', async () => {
    await createAcme('--max-tasks-per-hour', '1000');
    await turbine('tenant', 'update', 'acme-corp', '--name', 'ACME Inc.', '--max-tasks-per-hour', 'unlimited');
    await turbine('tenant', 'update', 'acme-corp', '--enabled', 'false');

    const entries = json<{ actor: string; action: string; time: string; changes: unknown }[]>(
      await turbine('tenant', 'audit', 'acme-corp', '--json'),
    );
    expect(entries.map((e) => e.action)).toEqual(['disable', 'update', 'create']);
    expect(entries.every((e) => e.actor === ACTOR)).toBe(true);
    expect(entries[1]!.changes).toEqual({
      name: { from: 'ACME Corporation', to: 'ACME Inc.' },
      max_tasks_per_hour: { from: '1000', to: null },
    });

    const table = await turbine('tenant', 'audit', 'acme-corp');
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/ {2,}/)).toEqual(['TIME', 'ACTOR', 'ACTION', 'CHANGES']);
    expect(lines[1]).toMatch(/^\S+Z +cli-test +disable +enabled: true → false$/);
    expect(lines[2]).toContain('name: ACME Corporation → ACME Inc.');
    expect(lines[2]).toContain('max_tasks_per_hour: 1000 → (unset)');
    expect(lines[3]).toMatch(/create +name=ACME Corporation, enabled=true, pool=shared, max_tasks_per_hour=1000, metadata=\{\}$/);

    const limited = json<unknown[]>(await turbine('tenant', 'audit', 'acme-corp', '--limit', '1', '--json'));
    expect(limited).toHaveLength(1);
    expectFailure(await turbine('tenant', 'audit', 'acme-corp', '--limit', 'abc'), 2, 'Invalid --limit "abc"');
    expectFailure(await turbine('tenant', 'audit', 'acme-corp', '--limit', '0'), 2, 'Invalid --limit "0"');
  });

  it('says so when a tenant has no trail', async () => {
    const result = await turbine('tenant', 'audit', 'nobody');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("No audit entries for tenant 'nobody'.");
  });
});

describe('turbine tenant delete', () => {
  it('deletes with --force: configuration and counters go, the audit trail stays', async () => {
    await createAcme();
    await raw.set(`${tenantKey('acme-corp')}:usage:total`, '5');
    const result = await turbine('tenant', 'delete', 'acme-corp', '--force');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("Deleted tenant 'acme-corp'\n");
    expect(await raw.exists(tenantKey('acme-corp'), `${tenantKey('acme-corp')}:usage:total`)).toBe(0);
    expect(await raw.sismember(`${prefix}:tenants`, 'acme-corp')).toBe(0);
    const trail = json<{ action: string }[]>(await turbine('tenant', 'audit', 'acme-corp', '--json'));
    expect(trail[0]!.action).toBe('delete');
  });

  it('prints JSON with --json', async () => {
    await createAcme();
    expect(json(await turbine('tenant', 'delete', 'acme-corp', '--force', '--json'))).toEqual({ tenant_id: 'acme-corp', deleted: true });
  });

  it('refuses without --force when stdin is not a terminal (exit 2) and keeps the tenant', async () => {
    await createAcme();
    expectFailure(await turbine('tenant', 'delete', 'acme-corp'), 2, /stdin is not a terminal; pass --force/);
    expect(await raw.exists(tenantKey('acme-corp'))).toBe(1);
  });

  it("reports an absent tenant with the Python SDK's message, exit 1", async () => {
    expectFailure(await turbine('tenant', 'delete', 'acme-corp', '--force'), 1, /^Error: Tenant 'acme-corp' not found; see 'turbine tenant list'/);
  });

  it('deletes a tenant with queued tasks only with --force', async () => {
    await createAcme();
    const app = new Turbine({ backendUrl: redisUrl(), prefix });
    try {
      const sendEmail = app.task({ name: 'send_email', queue: 'emails' }, async (to: string) => to);
      await sendEmail.applyAsync({ args: ['a@b.c'], tenantId: 'acme-corp' });
    } finally {
      await app.close();
    }
    const result = await turbine('tenant', 'delete', 'acme-corp', '--force');
    expect(result.code, result.stderr).toBe(0);
    expect(await raw.exists(tenantKey('acme-corp'))).toBe(0);
    const trail = json<{ action: string; changes: unknown }[]>(await turbine('tenant', 'audit', 'acme-corp', '--json'));
    expect(trail[0]).toMatchObject({ action: 'delete', changes: { queued_tasks: 1 } });
  });
});

describe('usage errors and exit codes', () => {
  it('exits 2 on an unknown command, subcommand or flag, and on a missing argument', async () => {
    expectFailure(await turbine('tenant', 'lst'), 2, 'Unknown command; did you mean list?');
    expectFailure(await runBinary(['tenants']), 2, 'Unknown command; did you mean tenant?');
    expectFailure(await runBinary(['frobnicate']), 2, /^Error: Unknown argument: frobnicate \(see --help\)$/);
    expectFailure(await turbine('tenant', 'list', '--verbose'), 2, 'Unknown flag --verbose');
    expectFailure(await turbine('tenant', 'get'), 2, 'Not enough non-option arguments');
    expectFailure(await turbine('tenant', 'create', 'acme-corp'), 2, 'Not enough non-option arguments');
    expectFailure(await turbine('tenant', 'get', 'a', 'b'), 2, 'Unknown argument: b');
    expectFailure(await runBinary([]), 2, 'Choose a command');
    expectFailure(await runBinary(['tenant']), 2, 'Choose a tenant command');
    expectFailure(await runBinary(['tenant', 'list', '--backend-url', 'http://localhost:6379']), 2, "Invalid backend URL 'http://localhost:6379'");
    expectFailure(await turbine('tenant', 'list', '--prefix', 'other'), 2, '--prefix was given more than once');
    expectFailure(await turbine('tenant', 'update', 'acme-corp', '--name', 'A', '--name', 'B'), 2, '--name was given more than once');
  });

  it('prints help with exit 0, listing every tenant command and the quota flags', async () => {
    const group = await runBinary(['tenant', '--help']);
    expect(group.code).toBe(0);
    for (const command of ['create', 'list', 'get', 'update', 'delete', 'stats', 'audit']) {
      expect(group.stdout).toContain(`turbine tenant ${command}`);
    }
    const create = await runBinary(['tenant', 'create', '--help']);
    expect(create.code).toBe(0);
    for (const flag of ['--max-tasks-per-hour', '--max-tasks-per-day', '--max-concurrent-tasks', '--max-queue-length', '--max-task-size-bytes', '--max-result-size-bytes', '--allowed-queues', '--max-retry-count', '--max-stored-results', '--metadata', '--disabled', '--backend-url', '--prefix', '--actor', '--json']) {
      expect(create.stdout).toContain(flag);
    }
  });
});

describe('environment and connection', () => {
  it('honours TURBINE_BACKEND_URL, TURBINE_PREFIX and TURBINE_ACTOR when no flag is given', async () => {
    const env = cleanEnv({ TURBINE_BACKEND_URL: redisUrl(), TURBINE_PREFIX: prefix, TURBINE_ACTOR: 'env-actor' });
    const created = await runBinary(['tenant', 'create', 'acme-corp', 'ACME'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(await raw.hget(tenantKey('acme-corp'), 'name')).toBe('ACME');
    const trail = json<{ actor: string }[]>(await runBinary(['tenant', 'audit', 'acme-corp', '--json'], env));
    expect(trail[0]!.actor).toBe('env-actor');
  });

  it('takes --backend-url over TURBINE_BACKEND_URL', async () => {
    await createAcme();
    const env = cleanEnv({ TURBINE_BACKEND_URL: 'redis://:envsecret@127.0.0.1:1' });
    const viaFlag = await runBinary(['tenant', 'get', 'acme-corp', '--json', '--backend-url', redisUrl(), '--prefix', prefix], env);
    expect(json<{ tenant_id: string }>(viaFlag).tenant_id).toBe('acme-corp');
    const viaEnv = await runBinary(['tenant', 'get', 'acme-corp', '--prefix', prefix], env);
    expectFailure(viaEnv, 1, 'Cannot reach Redis at redis://:***@127.0.0.1:1');
    expect(viaEnv.stderr).not.toContain('envsecret');
  });

  it('fails fast on an unreachable Redis with exit 1, naming the URL without its password', async () => {
    const result = await runBinary(['tenant', 'list', '--backend-url', 'redis://:secret@127.0.0.1:1']);
    expectFailure(result, 1, /^Error: Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 /);
    expect(result.stderr).not.toContain('secret');
    expect(result.ms).toBeLessThan(3_000);
  });
});

/** `script` runs a command on a pseudo-terminal, so the CLI sees a TTY on stdin. */
/** `turbine <args>` on a pseudo-terminal, answering the prompt. */
function onTerminal(args: readonly string[], answer: string): Promise<CliResult> {
  return runOnTerminal([...args, '--backend-url', redisUrl(), '--prefix', prefix, '--actor', ACTOR], answer);
}

describe('turbine tenant delete on a terminal', () => {
  it("asks before deleting and deletes on 'y'", async () => {
    await createAcme();
    const result = await onTerminal(['tenant', 'delete', 'acme-corp'], 'y');
    expect(result.stdout).toContain("Delete tenant 'acme-corp'? [y/N]");
    expect(result.stdout).toContain("Deleted tenant 'acme-corp'");
    expect(result.code).toBe(0);
    expect(await raw.exists(tenantKey('acme-corp'))).toBe(0);
  });

  it("keeps the tenant on 'n', exit 1", async () => {
    await createAcme();
    const result = await onTerminal(['tenant', 'delete', 'acme-corp'], 'n');
    expect(result.stdout).toContain("Delete tenant 'acme-corp'? [y/N]");
    expect(result.stdout).toContain("Aborted: tenant 'acme-corp' was not deleted");
    expect(result.code).toBe(1);
    expect(await raw.exists(tenantKey('acme-corp'))).toBe(1);
  });

  it('does not ask about an absent tenant', async () => {
    const result = await onTerminal(['tenant', 'delete', 'acme-corp'], 'y');
    expect(result.stdout).not.toContain('[y/N]');
    expect(result.stdout).toContain("Error: Tenant 'acme-corp' not found");
    expect(result.code).toBe(1);
  });

  it("refuses a tenant with queued tasks even on 'yes', pointing to --force", async () => {
    await createAcme();
    const app = new Turbine({ backendUrl: redisUrl(), prefix });
    try {
      const sendEmail = app.task({ name: 'send_email', queue: 'emails' }, async (to: string) => to);
      await sendEmail.applyAsync({ args: ['a@b.c'], tenantId: 'acme-corp' });
    } finally {
      await app.close();
    }
    const result = await onTerminal(['tenant', 'delete', 'acme-corp'], 'yes');
    expect(result.stdout).toContain("Error: Tenant 'acme-corp' has 1 queued task(s); pass --force");
    expect(result.code).toBe(1);
    expect(await raw.exists(tenantKey('acme-corp'))).toBe(1);
  });
});

describe('confirm() (in process)', () => {
  async function answer(text: string | null): Promise<boolean> {
    const input = new PassThrough();
    const output = new PassThrough();
    const asked = confirm('Delete?', { input, output });
    if (text === null) input.end();
    else input.write(`${text}\n`);
    return asked;
  }

  it('agrees only to y or yes, in any case', async () => {
    expect(await answer('y')).toBe(true);
    expect(await answer('YES')).toBe(true);
    expect(await answer(' Yes ')).toBe(true);
    expect(await answer('')).toBe(false);
    expect(await answer('n')).toBe(false);
    expect(await answer('yep')).toBe(false);
  });

  it('declines when the input ends without an answer', async () => {
    expect(await answer(null)).toBe(false);
  });
});
