import { Queue, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIdOf } from '../../src/core/task-ids.js';
import type { ReconcileSummary } from '../../src/worker/events.js';
import { pollUntil } from '../helpers/context.js';
import { TestWorld, gate } from '../helpers/worker.js';

/**
 * What operators do next to Turbine with the tools they know (BullMQ's Queue/Job API, which
 * bull-board calls), and Turbine's own cancel and drain. No tenant may stay stalled longer
 * than one reconciler pass.
 */
let world: TestWorld;

beforeEach(() => {
  world = new TestWorld();
});

afterEach(() => world.close());

/** The reconciler's staleness bound as deployed: a repair that waited for it would fail these tests. */
const RECONCILER = { intervalMs: 300, staleAfterMs: 60_000 };

function bullQueue(name = 'default'): Queue {
  const queue = new Queue(name, { connection: world.raw, prefix: `${world.prefix}:q` });
  world.defer(() => queue.close());
  return queue;
}

describe('BullMQ tools on a Turbine queue', () => {
  it("removing a capped tenant's waiting and held tasks with Job.remove frees its capacity within one pass; removed held tasks never run", async () => {
    const ran: number[] = [];
    const work = world.app.task({ name: 'work' }, async (n: number) => ran.push(n));
    await world.tenant('acme', { maxConcurrentTasks: 2 });
    const submitted = await work.applyBulk(Array.from({ length: 12 }, (_, n) => ({ args: [n] as [number], tenantId: 'acme' })));
    const queue = bullQueue();
    for (const s of submitted) {
      if (!s.ok) throw s.error;
      await (await queue.getJob(jobIdOf('acme', s.result.taskId)))!.remove();
    }
    const next = await work.applyAsync({ args: [99], tenantId: 'acme' });
    await world.startWorker({ reconciler: RECONCILER });
    await next.get({ timeoutMs: 10_000 });
    expect(ran).toEqual([99]);
  });

  it("removed held tasks of a backlogged tenant are dropped when their turn comes, freeing their room without the reconciler", async () => {
    const ran: number[] = [];
    const work = world.app.task({ name: 'work' }, async (n: number) => ran.push(n));
    await world.tenant('acme');
    await world.raw.hset(`${world.prefix}:dispatch:window`, 'default', 2);
    const submitted = await work.applyBulk(Array.from({ length: 8 }, (_, n) => ({ args: [n] as [number], tenantId: 'acme' })));
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ waitingTasks: 2, heldTasks: 6 });
    const queue = bullQueue();
    for (const s of submitted.slice(2, 6)) {
      if (!s.ok) throw s.error;
      await (await queue.getJob(jobIdOf('acme', s.result.taskId)))!.remove();
    }
    await world.startWorker({ concurrency: 1, dispatch: { window: 2 }, reconciler: { intervalMs: 600_000, staleAfterMs: 600_000 } });
    await pollUntil(async () => ran.length, (n) => n === 4, { what: 'the four tasks left run' });
    expect(ran).toEqual([0, 1, 6, 7]);
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ waitingTasks: 0, heldTasks: 0 });
  });

  it('queue.drain() and clean() of waiting jobs free the capacity within one pass', async () => {
    const work = world.app.task({ name: 'work' }, async (n: number) => n);
    await world.tenant('acme', { maxConcurrentTasks: 2 });
    await work.applyBulk([{ args: [1], tenantId: 'acme' }, { args: [2], tenantId: 'acme' }]);
    await bullQueue().drain();
    const next = await work.applyAsync({ args: [3], tenantId: 'acme' });
    expect(next.placement).toBe('held');
    await world.startWorker({ reconciler: RECONCILER });
    expect(await next.get({ timeoutMs: 10_000 })).toBe(3);
  });

  it('a plain BullMQ Worker on a Turbine queue is detected and counted, and its damage repaired within one pass', async () => {
    const work = world.app.task({ name: 'work' }, async (n: number) => n);
    await world.tenant('acme', { maxConcurrentTasks: 2 });
    await world.tenant('globex');
    await work.applyBulk(Array.from({ length: 6 }, (_, n) => ({ args: [n] as [number], tenantId: 'acme' })));
    await work.applyAsync({ args: [0], tenantId: 'globex' });
    // Started by mistake: it takes whatever is in the wait list, outside Turbine's bookkeeping.
    const stray = new Worker('default', async () => 'stray', { connection: { url: world.url }, prefix: `${world.prefix}:q` });
    await pollUntil(async () => (await bullQueue().getJobCounts('completed')).completed ?? 0, (n) => n >= 3, { what: 'the stray worker to take tasks' });
    await stray.close();
    const passes: ReconcileSummary[] = [];
    const worker = await world.startWorker({ reconciler: RECONCILER });
    worker.on('reconciler:pass', (p: ReconcileSummary) => passes.push(p));
    await pollUntil(async () => passes.reduce((n, p) => n + p.strayFetches, 0), (n) => n >= 3, { what: 'stray fetches counted' });
    // acme's held tasks run: its slots were given back.
    const next = await work.applyAsync({ args: [42], tenantId: 'acme' });
    expect(await next.get({ timeoutMs: 10_000 })).toBe(42);
  });
});

describe('cancel', () => {
  it('removes a waiting, held or delayed task (freeing its slot at once), not a running or finished one, nor another tenant’s', async () => {
    const release = gate();
    const work = world.app.task({ name: 'work' }, async (n: number) => {
      if (n === 0) await release.promise;
      return n;
    });
    await world.tenant('acme', { maxConcurrentTasks: 2 });
    await world.tenant('globex');
    const [w1, w2, h1, h2] = (await work.applyBulk(Array.from({ length: 4 }, (_, n) => ({ args: [n + 1] as [number], tenantId: 'acme' })))).map((r) => {
      if (!r.ok) throw r.error;
      return r.result;
    });
    const delayed = await work.applyAsync({ args: [9], tenantId: 'acme', delayMs: 60_000 });
    expect([w1!.placement, h1!.placement, delayed.placement]).toEqual(['queued', 'held', 'deferred']);

    expect(await world.app.result(w1!.taskId, { tenantId: 'globex' }).cancel()).toBe(false);
    expect(await w1!.cancel()).toBe(true);
    // Its slot went to the oldest held task in the same step.
    expect(await h1!.status()).toBe('waiting');
    expect(await h2!.cancel()).toBe(true);
    expect(await delayed.cancel()).toBe(true);
    expect(await w1!.status()).toBe('unknown');
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ pendingTasks: 2, heldTasks: 0 });

    await world.startWorker();
    expect(await w2!.get({ timeoutMs: 10_000 })).toBe(2);
    expect(await w2!.cancel()).toBe(false);
    const running = await work.applyAsync({ args: [0], tenantId: 'acme' });
    await pollUntil(() => running.status(), (s) => s === 'running', { what: 'running' });
    expect(await running.cancel()).toBe(false);
    release.open();
    expect(await running.get()).toBe(0);
  });
});

describe('drain', () => {
  it("removes a tenant's waiting, held and delayed tasks at once, audited, and its next task runs at once", async () => {
    const ran: number[] = [];
    const work = world.app.task({ name: 'work' }, async (n: number) => ran.push(n));
    await world.tenant('acme', { maxConcurrentTasks: 2 });
    await world.tenant('globex');
    await work.applyBulk(Array.from({ length: 12 }, (_, n) => ({ args: [n] as [number], tenantId: 'acme' })));
    await work.applyAsync({ args: [100], tenantId: 'acme', delayMs: 60_000 });
    const other = await work.applyAsync({ args: [200], tenantId: 'globex' });

    expect(await world.manager.drainTenant('acme')).toEqual({ waiting: 2, held: 10, delayed: 1 });
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ pendingTasks: 0, heldTasks: 0, waitingTasks: 0 });
    expect((await world.manager.getAuditLog('acme'))[0]).toMatchObject({ action: 'drain', actor: 'test' });
    expect(await world.raw.keys(`${world.prefix}:q:default:acme@*`)).toEqual([]);
    const next = await work.applyAsync({ args: [7], tenantId: 'acme' });
    expect(next.placement).toBe('queued');
    await world.startWorker();
    await next.get({ timeoutMs: 10_000 });
    await other.get({ timeoutMs: 10_000 });
    expect(ran.sort((a, b) => a - b)).toEqual([7, 200]);
  });
});
