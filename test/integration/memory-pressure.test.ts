import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisMemoryPressureError, parseInfoMemory } from '../../src/dispatcher/memory-pressure.js';
import type { TaskDefinition } from '../../src/tasks/task.js';
import { deletePrefix, pollUntil } from '../helpers/context.js';
import { RedisServer } from '../helpers/redis-server.js';
import { TestWorld, gate } from '../helpers/worker.js';

// A Redis of the tests' own with a small maxmemory and noeviction (the helper's policy), as
// Turbine is deployed: a full Redis then refuses writes instead of evicting tasks.
let server: RedisServer;
let world: TestWorld;

beforeAll(async () => {
  server = await RedisServer.start(['--maxmemory', '8mb']);
});
afterAll(() => server.close());
afterEach(async () => {
  // Each test fills Redis: the next starts empty. The world's own connection may lack FUNCTION.
  const admin = new Redis(server.url);
  await world.close();
  await deletePrefix(admin, world.prefix);
  await admin.call('FUNCTION', 'FLUSH');
  await admin.config('SET', 'maxmemory', '8mb');
  await admin.quit();
});

// 2 KB of arguments per task: Redis fills in a few thousand tasks.
const PAYLOAD = 'x'.repeat(2048);

async function memory(): Promise<{ usedBytes: number; limitBytes: number }> {
  return parseInfoMemory(await world.raw.info('memory'));
}

/** Calls of EVAL, EVALSHA or FCALL that failed since the last CONFIG RESETSTAT, NOSCRIPT aside. */
async function failedScriptCalls(): Promise<number> {
  const stats = (await world.raw.info('commandstats')) + (await world.raw.info('errorstats'));
  const count = (pattern: RegExp): number => [...stats.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
  return count(/^cmdstat_(?:eval|evalsha|fcall):.*failed_calls=(\d+)/gm) - count(/^errorstat_NOSCRIPT:count=(\d+)/gm);
}

/** Submits bulks until one is refused; returns how many were accepted and the refusal. */
async function fillUntilRefused(
  task: TaskDefinition<[string]>,
  tenantId: string,
): Promise<{ accepted: number; error: RedisMemoryPressureError }> {
  let accepted = 0;
  for (let round = 0; round < 1000; round++) {
    const outcomes = await task.applyBulk(Array.from({ length: 50 }, () => ({ args: [PAYLOAD] as [string], tenantId })));
    const refused = outcomes.filter((o) => !o.ok);
    accepted += outcomes.length - refused.length;
    if (refused.length > 0) {
      // A chunk is refused whole: never some of its tasks stored and others not.
      expect(refused).toHaveLength(outcomes.length);
      const error = (refused[0] as { error: unknown }).error;
      expect(error).toBeInstanceOf(RedisMemoryPressureError);
      return { accepted, error: error as RedisMemoryPressureError };
    }
  }
  throw new Error('Redis never filled up');
}

/** Everything admission writes for a task agrees with the number accepted: nothing is half-written. */
async function expectConsistent(tenantId: string, queue: string, accepted: number): Promise<void> {
  const bull = `${world.app.keys.bullPrefix()}:${queue}`;
  // A job's key ends with its id, `<tenant>@<task id>`.
  const jobs = (await world.raw.keys(`${bull}:${tenantId}@*`)).filter((key) => !key.slice(bull.length + 1).includes(':'));
  const stats = await world.manager.getTenantStats(tenantId);
  expect({
    jobs: jobs.length,
    total: stats.totalTasks,
    placed: stats.heldTasks + stats.waitingTasks + stats.concurrentTasks + stats.storedResults,
  }).toEqual({ jobs: accepted, total: accepted, placed: accepted });
}

describe('memory backpressure (redis-server --maxmemory 8mb, noeviction)', () => {
  it('refuses producers past the high-water mark before writing anything, and admits again once workers free memory', async () => {
    world = new TestWorld(server.url, undefined, { memory: { highWaterMark: 0.5, refreshIntervalMs: 50 } });
    const store = world.app.task({ name: 'store', ignoreResult: true }, async (payload: string) => payload.length);
    await world.tenant('acme', { maxConcurrentTasks: 0 });
    const { accepted, error } = await fillUntilRefused(store, 'acme');
    expect(error).toMatchObject({ code: 'REDIS_MEMORY_PRESSURE', limitBytes: 8 * 1024 * 1024, retryAfterSeconds: 1 });
    expect(error.message).toMatch(/Redis is low on memory \(.* MiB of maxmemory 8\.0 MiB used\): the task was not submitted; retry in 1 s/);
    expect(error.usedBytes).toBeGreaterThanOrEqual(0.5 * 8 * 1024 * 1024);
    await expectConsistent('acme', 'default', accepted);
    // Below maxmemory itself: the refusal came from the guard, not from Redis.
    expect((await memory()).usedBytes).toBeLessThan(8 * 1024 * 1024);

    await world.startWorker({ concurrency: 20 });
    await world.manager.updateTenant('acme', { quotas: { maxConcurrentTasks: null } });
    await pollUntil(() => world.manager.getTenantStats('acme'), (s) => s.pendingTasks === 0, { timeoutMs: 30_000, what: 'queue drained' });
    const again = await pollUntil(
      () => store.applyBulk([{ args: [PAYLOAD], tenantId: 'acme' }]),
      (outcomes) => outcomes[0]!.ok,
      { timeoutMs: 10_000, what: 'a submission accepted again' },
    );
    expect(again[0]!.ok).toBe(true);
  });

  it('turns an OOM refusal of the admission script into RedisMemoryPressureError with nothing half-written; workers still finish', async () => {
    await refusedAtOomWhileWorkersFinish(server.url);
  });

  it('workers on the EVAL fallback (FUNCTION not allowed) also finish their tasks at maxmemory', async () => {
    // Redis 7 runs the fallback's scripts with the `allow-oom` shebang flag, as the library's functions.
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'nofunctions', 'on', '>secret', '~*', '&*', '+@all', '-function');
    await admin.quit();
    await refusedAtOomWhileWorkersFinish(`redis://nofunctions:secret@127.0.0.1:${server.port}`);
    // The worker ran scripts: it could not have loaded the library.
    await expect(world.raw.call('FUNCTION', 'LIST')).rejects.toThrow(/NOPERM/);
  });
});

/**
 * Fills Redis to its maxmemory with only Redis's own limit stopping the producer (inside the
 * admission script), while a worker holds three running tasks; then lets them finish.
 */
async function refusedAtOomWhileWorkersFinish(url: string): Promise<void> {
  // The guard off: only Redis's own maxmemory stops the producer, inside the script.
  world = new TestWorld(url, undefined, { memory: false });
  const release = gate();
  const slow = world.app.task({ name: 'slow', queue: 'slow' }, async () => {
    await release.promise;
    return 'finished at OOM';
  });
  const store = world.app.task({ name: 'store' }, async (payload: string) => payload.length);
  await world.tenant('busy');
  await world.tenant('acme', { maxConcurrentTasks: 0 });
  await world.startWorker({ concurrency: 3 });
  const running = await slow.applyBulk(Array.from({ length: 3 }, () => ({ args: [] as [], tenantId: 'busy' })));
  await pollUntil(() => world.manager.getTenantStats('busy'), (s) => s.concurrentTasks === 3, { what: 'three running' });

  const { accepted, error } = await fillUntilRefused(store, 'acme');
  expect(error).toMatchObject({ code: 'REDIS_MEMORY_PRESSURE', usedBytes: null, limitBytes: null });
  // Redis refused it at maxmemory (counting the call's own arguments), not a guard.
  expect((await memory()).usedBytes).toBeGreaterThan(0.9 * 8 * 1024 * 1024);
  await expectConsistent('acme', 'default', accepted);

  // A small write can still fit below maxmemory now; lowered under used_memory, Redis is full
  // for every write that is not flagged allow-oom, however small.
  await world.raw.config('SET', 'maxmemory', String(Math.floor((await memory()).usedBytes / 2)));
  await expect(world.raw.set(`${world.prefix}:probe`, '1')).rejects.toThrow(/OOM/);
  await world.raw.config('RESETSTAT');

  // The worker finishes its running tasks with Redis full: finishing is what frees memory.
  release.open();
  for (const outcome of running) {
    if (!outcome.ok) throw outcome.error;
    expect(await outcome.result.get({ timeoutMs: 10_000 })).toBe('finished at OOM');
  }
  // No script call failed since Redis was full, other than NOSCRIPT (a script sent in full next).
  expect(await failedScriptCalls()).toBe(0);
  expect(await world.manager.getTenantStats('busy')).toMatchObject({ concurrentTasks: 0, storedResults: 3 });
}
