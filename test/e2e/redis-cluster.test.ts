import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { DeadLetterQueue } from '../../src/dlq/queue.js';
import { Turbine } from '../../src/tasks/app.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import type { StartWorkerOptions, WorkerRuntime } from '../../src/worker/runtime.js';
import { startWorker } from '../../src/worker/start.js';
import { assertCliBuilt, cleanEnv, runBinary } from '../helpers/cli.js';
import { pollUntil, uniquePrefix } from '../helpers/context.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { askServer } from '../helpers/redis-server.js';
import { shardPrefixes } from '../../src/store/shards.js';
import { tenantPerShard } from '../helpers/shards.js';
import { serveConsole } from '../helpers/console-server.js';

/**
 * Turbine on a real Redis Cluster started by the test: three primaries, each with a replica.
 * Everything runs from the `redis+cluster://` URL alone, with a hash-tagged prefix.
 */

let cluster: RedisCluster;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  assertCliBuilt();
  cluster = await RedisCluster.start({ primaries: 3, replicasPerPrimary: 1 });
}, 120_000);

afterAll(() => cluster?.close());

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

function world(prefix = `{${uniquePrefix()}}`): { prefix: string; app: Turbine; manager: TenantManager } {
  const app = new Turbine({ backendUrl: cluster.url, prefix });
  const manager = new TenantManager({ backendUrl: cluster.url, prefix, actor: 'cluster-test' });
  closers.push(() => app.close(), () => manager.close());
  return { prefix, app, manager };
}

async function worker(options: StartWorkerOptions): Promise<WorkerRuntime> {
  const runtime = await startWorker({
    concurrency: 10,
    health: { port: 0, host: '127.0.0.1' },
    log: { level: 'silent' },
    ...options,
  });
  closers.push(() => runtime.close({ force: true }));
  return runtime;
}

async function readiness(runtime: WorkerRuntime): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${runtime.healthPort}/readyz`);
  return { status: response.status, body: await response.text() };
}

describe('Turbine on Redis Cluster', () => {
  it('runs the whole tenant and task lifecycle from a redis+cluster:// URL', async () => {
    const { prefix, app, manager } = world();
    const add = app.task({ name: 'add', queue: 'math' }, async (a: number, b: number) => a + b);
    const boom = app.task({ name: 'boom', queue: 'math', retries: 0 }, async () => {
      throw new Error('always fails');
    });
    await manager.createTenant({ tenantId: 'acme', name: 'ACME', quotas: { maxConcurrentTasks: 2 } });
    await manager.createTenant({ tenantId: 'globex', name: 'Globex' });
    await manager.updateTenant('globex', { quotas: { maxTasksPerHour: 1000 } });
    const runtime = await worker({ app, backendUrl: cluster.url, prefix, metrics: { enabled: true } });
    await runtime.ready();

    const submitted = await Promise.all(
      Array.from({ length: 40 }, (_, i) => add.applyAsync({ args: [i, 1], tenantId: i % 2 ? 'acme' : 'globex' })),
    );
    const results = await Promise.all(submitted.map((r) => r.get({ timeoutMs: 30_000 })));
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const failed = await boom.applyAsync({ args: [], tenantId: 'acme' });
    await expect(failed.get({ timeoutMs: 30_000 })).rejects.toThrow(/always fails/);

    expect(await manager.getTenantStats('acme')).toMatchObject({ concurrentTasks: 0, pendingTasks: 0, totalTasks: 21 });
    expect((await manager.listTenants()).map((t) => t.tenantId)).toEqual(['acme', 'globex']);
    expect((await manager.requireTenant('globex')).quotas.maxTasksPerHour).toBe(1000);

    const dlq = new DeadLetterQueue({ backendUrl: cluster.url, prefix });
    closers.push(() => dlq.close());
    const entries = await pollUntil(() => dlq.list({ tenantId: 'acme' }), (e) => e.length === 1, { what: 'the dead letter' });
    expect(entries[0]).toMatchObject({ tenantId: 'acme', task: 'boom', queue: 'math' });

    expect(await readiness(runtime)).toMatchObject({ status: 200 });
    const metrics = await fetch(`http://127.0.0.1:${runtime.healthPort}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/turbine_tasks_finished_total\{[^}]*tenant="acme"/);

    // The Functions library is on every primary, not only on the one a random FUNCTION LOAD reached.
    for (const primary of await cluster.primaries()) {
      const libraries = JSON.stringify(await askServer(primary, (c) => c.call('FUNCTION', 'LIST')));
      expect(libraries).toMatch(/turbine_[0-9a-f]{16}/);
    }

    const cli = await runBinary(['tenant', 'list', '--backend-url', cluster.url, '--prefix', prefix, '--json'], cleanEnv());
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as { tenant_id: string }[]).map((t) => t.tenant_id)).toEqual(['acme', 'globex']);

    await manager.deleteTenant('globex');
    expect(await manager.getTenant('globex')).toBeNull();
  });

  it('runs from an ioredis Cluster passed as connection, deriving the worker’s connections from it', async () => {
    const connection = new Cluster(cluster.nodes.slice(0, 1).map((node) => ({ host: '127.0.0.1', port: node.port })));
    closers.push(async () => connection.quit());
    const prefix = `{${uniquePrefix()}}`;
    const app = new Turbine({ connection, prefix });
    const manager = new TenantManager({ connection, prefix });
    closers.push(() => app.close(), () => manager.close());
    const echo = app.task({ name: 'echo' }, async (text: string) => text);
    await manager.createTenant({ tenantId: 'acme', name: 'ACME' });
    const runtime = await worker({ app, metrics: { enabled: false } });
    await runtime.ready();
    expect(await (await echo.applyAsync({ args: ['hi'], tenantId: 'acme' })).get({ timeoutMs: 20_000 })).toBe('hi');
    expect(runtime.redis).not.toBe(connection);
    expect(() => new TenantManager({ connection, prefix: 'plain' })).toThrow(/has no hash tag/);
  });

  it('refuses a prefix without a hash tag, in the SDK, the worker and the CLI', async () => {
    expect(() => new TenantManager({ backendUrl: cluster.url, prefix: 'plain' })).toThrow(ConfigError);
    expect(() => new Turbine({ backendUrl: cluster.url, prefix: 'plain' })).toThrow(/prefix 'plain' has no hash tag.*'\{plain\}'/);
    const app = new Turbine({ backendUrl: cluster.url, prefix: '{ok}' });
    app.task({ name: 'noop' }, async () => null);
    await expect(startWorker({ app, prefix: 'plain', log: { level: 'silent' }, health: { port: 0 } })).rejects.toThrow(/prefix 'plain' has no hash tag/);
    const cli = await runBinary(['tenant', 'list', '--backend-url', cluster.url, '--prefix', 'plain'], cleanEnv());
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/^Error: The prefix 'plain' has no hash tag/);
  });

  it('loads the Functions library again on a node that lost it', async () => {
    const { prefix, app, manager } = world();
    const echo = app.task({ name: 'echo' }, async (text: string) => text);
    await manager.createTenant({ tenantId: 'acme', name: 'ACME' });
    const runtime = await worker({ app, backendUrl: cluster.url, prefix, metrics: { enabled: false } });
    await runtime.ready();
    expect(await (await echo.applyAsync({ args: ['before'], tenantId: 'acme' })).get({ timeoutMs: 20_000 })).toBe('before');
    const owner = await cluster.ownerOf(`${prefix}:tenants`);
    await askServer(owner, (c) => c.call('FUNCTION', 'FLUSH'));
    expect(await (await echo.applyAsync({ args: ['after'], tenantId: 'acme' })).get({ timeoutMs: 20_000 })).toBe('after');
  });

  it('is not ready on one node’s redis:// URL that redirects Turbine’s keys, and says why', async () => {
    const prefix = `{${uniquePrefix()}}`;
    const owner = await cluster.ownerOf(`${prefix}:tenants`);
    const other = (await cluster.primaries()).find((node) => node !== owner)!;
    const app = new Turbine({ backendUrl: other.url, prefix });
    closers.push(() => app.close());
    app.task({ name: 'noop' }, async () => null);
    const runtime = await worker({ app, backendUrl: other.url, prefix, metrics: { enabled: false } });
    const seen = await pollUntil(() => readiness(runtime), (r) => r.body.includes('MOVED'), { what: '/readyz naming MOVED' });
    expect(seen.status).toBe(503);
    expect(seen.body).toContain('redis+cluster://');
  });

  it('recovers when the primary holding Turbine’s slot is killed and its replica promoted', async () => {
    const { prefix, app, manager } = world();
    const echo = app.task({ name: 'echo' }, async (text: string) => text);
    await manager.createTenant({ tenantId: 'acme', name: 'ACME' });
    const runtime = await worker({ app, backendUrl: cluster.url, prefix, metrics: { enabled: false } });
    await runtime.ready();
    const before = await echo.applyAsync({ args: ['before'], tenantId: 'acme' });
    expect(await before.get({ timeoutMs: 20_000 })).toBe('before');

    const owner = await cluster.ownerOf(`${prefix}:tenants`);
    await owner.stop('SIGKILL');
    // /readyz fails while no primary holds the slot; with replicas in sync the failover may finish
    // between two write probes, so a promotion seen first counts as well.
    await pollUntil(
      async () => (await readiness(runtime)).status === 503 || (await cluster.ownerOf(`${prefix}:tenants`).catch(() => owner)) !== owner,
      (seen) => seen,
      { timeoutMs: 20_000, what: '/readyz to fail or a replica to take over' },
    );
    await cluster.waitUntilHealthy();
    const promoted = await cluster.ownerOf(`${prefix}:tenants`);
    expect(promoted).not.toBe(owner);
    await pollUntil(() => readiness(runtime), (r) => r.status === 200, { timeoutMs: 30_000, what: '/readyz to recover' });

    // The producer (no offline queue) may see errors while the slot moves; it recovers on its own.
    const after = await pollUntil(
      () => echo.applyAsync({ args: ['after'], tenantId: 'acme' }).catch(() => null),
      (r) => r !== null,
      { timeoutMs: 20_000, intervalMs: 200, what: 'a submission to succeed' },
    );
    expect(await after!.get({ timeoutMs: 30_000 })).toBe('after');
  });
});

describe('Tenants sharded over a Redis Cluster', () => {
  const SHARDS = 3;

  /** A prefix whose three shards are served by three different primaries, so that the test shows the spread. */
  const spreadPrefix = (): Promise<string> => cluster.spreadPrefix(SHARDS, () => `{${uniquePrefix()}}`);

  function shardedWorld(prefix: string): { app: Turbine; manager: TenantManager; dlq: DeadLetterQueue } {
    const app = new Turbine({ backendUrl: cluster.url, prefix, shards: SHARDS });
    const manager = new TenantManager({ backendUrl: cluster.url, prefix, shards: SHARDS, actor: 'shard-test' });
    const dlq = new DeadLetterQueue({ backendUrl: cluster.url, prefix, shards: SHARDS });
    closers.push(() => app.close(), () => manager.close(), () => dlq.close());
    return { app, manager, dlq };
  }

  function cli(prefix: string, args: string[]): ReturnType<typeof runBinary> {
    return runBinary([...args, '--backend-url', cluster.url, '--prefix', prefix, '--shards', String(SHARDS)], cleanEnv());
  }

  it('runs tenants on every shard, each on its own primary: create, submit, run, result, dead letters, list, stats, metrics, web console', async () => {
    const prefix = await spreadPrefix();
    const { app, manager, dlq } = shardedWorld(prefix);
    const tenants = tenantPerShard(SHARDS);
    const add = app.task({ name: 'add', queue: 'math' }, async (a: number, b: number) => a + b);
    const boom = app.task({ name: 'boom', queue: 'math', retries: 0 }, async () => {
      throw new Error('always fails');
    });
    for (const tenantId of tenants) await manager.createTenant({ tenantId, name: tenantId, quotas: { maxConcurrentTasks: 2 } });
    expect(await Promise.all(tenants.map((t) => manager.shardOf(t)))).toEqual([0, 1, 2]);
    const shardPrefixList = shardPrefixes(prefix, SHARDS);
    const raw = await app.client();
    for (const [shard, tenantId] of tenants.entries()) {
      // Each tenant's configuration is in its shard's keyspace only.
      expect(await raw.exists(`${shardPrefixList[shard]}:tenant:${tenantId}`)).toBe(1);
      for (const other of shardPrefixList.filter((_, k) => k !== shard)) expect(await raw.exists(`${other}:tenant:${tenantId}`)).toBe(0);
    }

    const runtime = await worker({ app, metrics: { enabled: true } });
    await runtime.ready();
    expect(runtime.shards.map((k) => k.prefix)).toEqual(shardPrefixList);
    // Ready means every shard's primary took the worker's write probe.
    await pollUntil(() => readiness(runtime), (r) => r.status === 200, { what: '/readyz with three shards' });
    for (const shardPrefix of shardPrefixList) expect(await raw.exists(`${shardPrefix}:probe:${runtime.id}`)).toBe(1);

    const submitted = await add.applyBulk(Array.from({ length: 30 }, (_, i) => ({ args: [i, 1] as [number, number], tenantId: tenants[i % 3]! })));
    const results = await Promise.all(submitted.map((r) => (r.ok ? r.result.get({ timeoutMs: 30_000 }) : Promise.reject(r.error))));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await (submitted[0]! as { ok: true; result: { status(): Promise<string> } }).result.status()).toBe('completed');
    for (const tenantId of tenants) {
      await expect((await boom.applyAsync({ args: [], tenantId })).get({ timeoutMs: 30_000 })).rejects.toThrow(/always fails/);
    }

    const entries = await pollUntil(() => dlq.list(), (e) => e.length === 3, { what: 'a dead letter of each tenant' });
    expect(entries.map((e) => e.tenantId).sort()).toEqual([...tenants].sort());
    expect(await dlq.count()).toBe(3);
    expect((await dlq.list({ tenantId: tenants[2]! }))[0]).toMatchObject({ tenantId: tenants[2], task: 'boom' });

    for (const tenantId of tenants) {
      expect(await manager.getTenantStats(tenantId)).toMatchObject({ concurrentTasks: 0, pendingTasks: 0, totalTasks: 11 });
    }
    expect((await manager.listTenants()).map((t) => t.tenantId)).toEqual([...tenants].sort());

    const list = await cli(prefix, ['tenant', 'list', '--json']);
    expect(list.stderr).toBe('');
    expect((JSON.parse(list.stdout) as { tenant_id: string }[]).map((t) => t.tenant_id)).toEqual([...tenants].sort());
    const stats = await cli(prefix, ['tenant', 'stats', tenants[1]!, '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ total_tasks: 11 });
    const dead = await cli(prefix, ['dlq', 'list', '--json']);
    expect((JSON.parse(dead.stdout) as unknown[]).length).toBe(3);

    // The one worker holds every shard's reconciler lock, so it exports every shard's tenants.
    const metrics = await pollUntil(
      () => fetch(`http://127.0.0.1:${runtime.healthPort}/metrics`).then((r) => r.text()),
      (text) => tenants.every((t) => text.includes(`turbine_tenant_enabled{tenant="${t}"}`)),
      { timeoutMs: 20_000, what: "every shard's tenants in /metrics" },
    );
    expect(metrics).toMatch(/turbine_tasks_finished_total\{[^}]*tenant="tenant-/);

    // The web console reads every shard from its primary (each pipeline inside one shard's slot).
    const ui = await serveConsole({ backendUrl: cluster.url, prefix, shards: SHARDS, refreshMs: 250 });
    closers.push(() => ui.close());
    const overview = await ui.page('/');
    for (const tenantId of tenants) expect(overview).toContain(`data-tenant="${tenantId}"`);
    expect(await ui.page(`/tenants/${tenants[2]}`)).toContain('shard 2 (of 3, numbered from 0)');
    const queues = await ui.page('/queues');
    expect(queues).toContain(`data-count="completed">${3 * 10}<`);
    expect(queues).toContain(`<code>${runtime.id}</code>`);
    expect(await ui.page('/dead-letters')).toContain('3 entries match');
  });

  it('moves a tenant to another shard with `turbine tenant move`, refused while it has tasks in flight', async () => {
    const prefix = await spreadPrefix();
    const { app, manager } = shardedWorld(prefix);
    const [tenantId] = tenantPerShard(SHARDS);
    const echo = app.task({ name: 'echo' }, async (text: string) => text);
    await manager.createTenant({ tenantId: tenantId!, name: 'Moving', quotas: { maxTasksPerHour: 100 } });
    // Submitted with no worker running: the task waits on shard 0.
    const queued = await echo.applyAsync({ args: ['queued'], tenantId });

    const refused = await cli(prefix, ['tenant', 'move', '--tenant', tenantId!, '--shard', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/has 1 queued task\(s\); a tenant moves only with nothing waiting.*turbine tenant drain/);
    expect(await manager.shardOf(tenantId!)).toBe(0);
    expect((await manager.requireTenant(tenantId!)).enabled).toBe(true);

    await manager.drainTenant(tenantId!);
    expect(await queued.status()).toBe('unknown');
    const moved = await cli(prefix, ['tenant', 'move', '--tenant', tenantId!, '--shard', '2', '--json']);
    expect(moved.stderr).toBe('');
    expect(JSON.parse(moved.stdout)).toEqual({ tenant_id: tenantId, from_shard: 0, to_shard: 2, moved: true });
    expect(await manager.shardOf(tenantId!)).toBe(2);
    const [from, to] = [shardPrefixes(prefix, SHARDS)[0]!, shardPrefixes(prefix, SHARDS)[2]!];
    const raw = await app.client();
    expect(await raw.exists(`${from}:tenant:${tenantId}`)).toBe(0);
    expect(await raw.hget(`${to}:tenant:${tenantId}`, 'max_tasks_per_hour')).toBe('100');
    // Its counters and audit trail went with it.
    expect(await manager.getTenantStats(tenantId!)).toMatchObject({ totalTasks: 1, pendingTasks: 0 });
    expect((await manager.getAuditLog(tenantId!)).map((e) => e.action)).toContain('create');
    expect((await manager.requireTenant(tenantId!)).enabled).toBe(true);

    // The app still remembers shard 0: it finds the tenant gone there, looks again and submits on shard 2.
    const runtime = await worker({ app, metrics: { enabled: false } });
    await runtime.ready();
    expect(await (await echo.applyAsync({ args: ['after the move'], tenantId })).get({ timeoutMs: 20_000 })).toBe('after the move');

    const again = await cli(prefix, ['tenant', 'move', '--tenant', tenantId!, '--shard', '2']);
    expect(again.stdout).toMatch(/already on shard 2/);
    const bad = await cli(prefix, ['tenant', 'move', '--tenant', tenantId!, '--shard', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid shard 3: expected 0 to 2/);
  });
});
