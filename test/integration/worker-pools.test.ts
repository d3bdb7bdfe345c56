import { afterEach, describe, expect, it } from 'vitest';
import { jobIdOf } from '../../src/core/task-ids.js';
import { readSnapshot } from '../../src/metrics/snapshot.js';
import { Turbine } from '../../src/tasks/app.js';
import type { TaskContext } from '../../src/tasks/types.js';
import type { StartWorkerOptions } from '../../src/worker/runtime.js';
import { pollUntil } from '../helpers/context.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * Worker pools with in-process workers: each pool's worker runs an app of its own whose handler
 * records the pool it ran in, so a run in the wrong pool shows.
 */

let world: TestWorld;
afterEach(() => world.close());

interface Run {
  pool: string;
  tenantId: string;
  id: string;
  attempt: number;
}

const TASK = { name: 'probe', queue: 'work', retries: 2, backoff: 50 } as const;

/** Starts a worker of `pool` whose handler records each run in `runs`; fails attempt 1 of ids starting with `flaky`. */
async function startPoolWorker(pool: string, runs: Run[], options: Partial<StartWorkerOptions> = {}): Promise<void> {
  const app = new Turbine({ backendUrl: world.url, prefix: world.prefix });
  world.defer(() => app.close());
  app.task(TASK, async (id: string, ctx: TaskContext) => {
    runs.push({ pool, tenantId: ctx.tenantId, id, attempt: ctx.attempt });
    if (id.startsWith('flaky') && ctx.attempt === 1) throw new Error('first attempt fails');
    return id;
  });
  await world.startWorker({ app, pool, concurrency: 4, ...options });
}

/** The producer's side of the task (its handler never runs: no worker runs the producer's app). */
const producer = () => world.app.task(TASK, async (id: string) => id);

describe('worker pools', { timeout: 60_000 }, () => {
  it("runs a pool's delayed tasks and retries in its own workers only", async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'gold', name: 'Gold', pool: 'premium' });
    await world.manager.createTenant({ tenantId: 'acme', name: 'Acme' });
    const runs: Run[] = [];
    await startPoolWorker('shared', runs);
    await startPoolWorker('premium', runs);
    const probe = producer();
    const results = [];
    for (const tenantId of ['gold', 'acme']) {
      for (let i = 0; i < 3; i++) {
        results.push(await probe.applyAsync({ args: [`later-${i}`], tenantId, delayMs: 100 }));
        results.push(await probe.applyAsync({ args: [`flaky-${i}`], tenantId }));
        results.push(await probe.applyAsync({ args: [`now-${i}`], tenantId }));
      }
    }
    await Promise.all(results.map((r) => r.get({ timeoutMs: 20_000 })));
    expect(runs.filter((r) => r.tenantId === 'gold' && r.pool !== 'premium')).toEqual([]);
    expect(runs.filter((r) => r.tenantId === 'acme' && r.pool !== 'shared')).toEqual([]);
    // Retries ran too (in the right pool, as checked above): 18 tasks, 6 of them twice.
    expect(runs).toHaveLength(24);
    expect(runs.filter((r) => r.attempt === 2).map((r) => r.tenantId).sort()).toEqual(['acme', 'acme', 'acme', 'gold', 'gold', 'gold']);
  });

  it("hands a task that reaches another pool's wait list back to its own pool, without using an attempt", async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'gold', name: 'Gold', pool: 'premium' });
    await world.manager.createTenant({ tenantId: 'acme', name: 'Acme' });
    const probe = producer();
    const keys = world.manager.keys;
    const wait = keys.poolBullKey('work', 'shared', 'wait');
    const premiumWait = keys.poolBullKey('work', 'premium', 'wait');
    // Two of gold's tasks end up in the shared wait list, as BullMQ's stalled check or a stopping
    // worker of the shared pool could leave them: one without a slot, one with a running lease.
    const strays = [await probe.applyAsync({ args: ['put-back'], tenantId: 'gold' }), await probe.applyAsync({ args: ['stalled'], tenantId: 'gold' })];
    const [putBack, stalled] = strays.map((r) => jobIdOf('gold', r.taskId));
    for (const jobId of [putBack!, stalled!]) {
      expect(await world.raw.lrem(premiumWait, 1, jobId)).toBe(1);
      await world.raw.lpush(wait, jobId);
    }
    await world.raw.zrem(keys.slots('gold', 'work'), putBack!);
    await world.raw.zadd(keys.deferred('gold'), Date.now(), `work:${putBack}`);
    await world.raw.zadd(keys.slots('gold', 'work'), Date.now() + 30_000, stalled!);
    // Behind them in the shared wait list (BullMQ fetches the oldest first).
    const acmeTask = await probe.applyAsync({ args: ['acme-1'], tenantId: 'acme' });

    const runs: Run[] = [];
    await startPoolWorker('shared', runs);
    await acmeTask.get({ timeoutMs: 10_000 });
    // The shared worker fetched both strays before acme's task and handed them back.
    expect(runs.map((r) => r.tenantId)).toEqual(['acme']);
    expect(await world.raw.lrange(wait, 0, -1)).toEqual([]);
    expect((await world.raw.lrange(premiumWait, 0, -1)).sort()).toEqual([putBack, stalled].sort());
    expect(await Promise.all(strays.map((r) => r.status()))).toEqual(['waiting', 'waiting']);

    await startPoolWorker('premium', runs);
    await Promise.all(strays.map((r) => r.get({ timeoutMs: 10_000 })));
    expect(runs.filter((r) => r.tenantId === 'gold').map((r) => [r.pool, r.attempt])).toEqual([
      ['premium', 1],
      ['premium', 1],
    ]);
    await pollUntil(() => world.manager.getTenantStats('gold'), (s) => s.pendingTasks === 0 && s.concurrentTasks === 0, { what: "gold's slots released" });
  });

  it("counts every pool's waiting tasks in the queue's metrics", async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'gold', name: 'Gold', pool: 'premium' });
    await world.manager.createTenant({ tenantId: 'acme', name: 'Acme' });
    const probe = producer();
    for (const tenantId of ['gold', 'gold', 'acme']) await probe.applyAsync({ args: ['x'], tenantId });
    // The snapshot is read by the elected reconciler replica: this reader, here.
    await world.raw.set(world.manager.keys.reconcilerLock(), 'reader');
    const snapshot = await readSnapshot(world.raw, [world.manager.keys], 'reader');
    expect(snapshot?.queues.find((q) => q.queue === 'work')?.states.waiting).toBe(3);
  });

  it("sizes each pool's dispatch windows from its own workers' concurrency", async () => {
    world = new TestWorld();
    const dispatch = { window: null, windowFactor: 2, minWindow: 1 };
    const reconciler = { intervalMs: 100 };
    await startPoolWorker('shared', [], { concurrency: 2, dispatch, reconciler });
    await startPoolWorker('premium', [], { concurrency: 5, dispatch, reconciler });
    const windows = await pollUntil(
      () => world.raw.hgetall(world.manager.keys.dispatchWindow()),
      (w) => w.work === '4' && w['work@premium'] === '10',
      { what: 'a window per lane' },
    );
    expect(Object.keys(windows).sort()).toEqual(['work', 'work@premium']);
  });

  it('takes a tenant stored without a pool (by an earlier version) for a tenant of the shared pool', async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'old', name: 'Old', quotas: { maxConcurrentTasks: 1 } });
    await world.raw.hdel(world.manager.keys.tenant('old'), 'pool');
    expect((await world.manager.getTenant('old'))?.pool).toBe('shared');
    const probe = producer();
    const tasks = [];
    for (let i = 0; i < 4; i++) tasks.push(await probe.applyAsync({ args: [`t-${i}`], tenantId: 'old' }));
    expect(await world.raw.lrange(world.manager.keys.poolBullKey('work', 'shared', 'wait'), 0, -1)).toEqual([jobIdOf('old', tasks[0]!.taskId)]);
    expect(await tasks[0]!.cancel()).toBe(true);
    expect(await tasks[1]!.cancel()).toBe(true);
    // Cancelling the waiting task promoted the next one (the cap is 1).
    expect(await world.manager.drainTenant('old')).toEqual({ waiting: 1, held: 1, delayed: 0 });
    await world.manager.createTenant({ tenantId: 'older', name: 'Older' });
    await world.raw.hdel(world.manager.keys.tenant('older'), 'pool');
    await probe.applyAsync({ args: ['q'], tenantId: 'older' });
    expect(await world.manager.deleteTenant('older', { force: true })).toBe(true);
  });

  it('runs delayed tasks of a tenant moved to another pool before they came due in the new pool', async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'gold', name: 'Gold' });
    const runs: Run[] = [];
    await startPoolWorker('shared', runs);
    await startPoolWorker('premium', runs);
    const probe = producer();
    const later = [];
    for (let i = 0; i < 3; i++) later.push(await probe.applyAsync({ args: [`later-${i}`], tenantId: 'gold', delayMs: 300 }));
    await world.manager.updateTenant('gold', { pool: 'premium' });
    await Promise.all(later.map((r) => r.get({ timeoutMs: 10_000 })));
    expect(runs.map((r) => r.pool)).toEqual(['premium', 'premium', 'premium']);
  });
});

