import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskFailedError, TaskNotFoundError, TenantHasQueuedTasksError } from '../../src/core/errors.js';
import { jobIdOf } from '../../src/core/task-ids.js';
import type { TaskContext } from '../../src/tasks/types.js';
import { pollUntil, redisUrl } from '../helpers/context.js';
import { ConcurrencyProbe, TestWorld, gate, sleep } from '../helpers/worker.js';

let world: TestWorld;

beforeEach(() => {
  world = new TestWorld();
});

afterEach(() => world.close());

/** DLQ entries of the world, by entry id. */
async function deadLetters(): Promise<Record<string, Record<string, string>>> {
  const ids = await world.raw.zrange(`${world.prefix}:dlq`, '0', '-1');
  const out: Record<string, Record<string, string>> = {};
  for (const id of ids) out[id] = await world.raw.hgetall(`${world.prefix}:dlq:entry:${id}`);
  return out;
}

describe('running tasks', () => {
  it('runs a task with its arguments and context and stores its result for get()', async () => {
    const seen: Partial<TaskContext>[] = [];
    const add = world.app.task({ name: 'add', queue: 'math' }, async (a: number, b: number, ctx: TaskContext) => {
      seen.push({ taskId: ctx.taskId, tenantId: ctx.tenantId, attempt: ctx.attempt, queue: ctx.queue });
      return a + b;
    });
    await world.manager.createTenant({ tenantId: 'acme', name: 'ACME' });
    await world.startWorker();
    const result = await add.applyAsync({ args: [2, 3], tenantId: 'acme' });
    expect(await result.get({ timeoutMs: 10_000 })).toBe(5);
    expect(await result.status()).toBe('completed');
    expect(seen).toEqual([{ taskId: result.taskId, tenantId: 'acme', attempt: 1, queue: 'math' }]);
    const stats = await world.manager.getTenantStats('acme');
    expect(stats).toMatchObject({ concurrentTasks: 0, pendingTasks: 0, totalTasks: 1 });
  });

  it('refuses get() for a task of another tenant (results are isolated)', async () => {
    const t = world.app.task({ name: 'secret' }, async () => 'for acme only');
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    await world.manager.createTenant({ tenantId: 'globex', name: 'G' });
    await world.startWorker();
    const result = await t.applyAsync({ args: [], tenantId: 'acme' });
    await result.get();
    // Another tenant's task is answered like a missing one: ids cannot be probed across tenants.
    const other = world.app.result(result.taskId, { tenantId: 'globex' });
    await expect(other.get()).rejects.toThrow(TaskNotFoundError);
    expect(await other.status()).toBe('unknown');
    expect(await world.app.result(result.taskId, { tenantId: 'acme' }).get()).toBe('for acme only');
  });
});

describe('max_concurrent_tasks', () => {
  it('never runs more than the cap, runs every task exactly once, and shows the running count', async () => {
    const probe = new ConcurrencyProbe();
    const runs = new Map<number, number>();
    const concurrentSeen: number[] = [];
    const work = world.app.task({ name: 'work' }, async (i: number) =>
      probe.around(async () => {
        runs.set(i, (runs.get(i) ?? 0) + 1);
        if (i % 20 === 0) concurrentSeen.push((await world.manager.getTenantStats('acme')).concurrentTasks);
        await sleep(5);
      }),
    );
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 5 } });
    await work.applyBulk(Array.from({ length: 150 }, (_, i) => ({ args: [i] as [number], tenantId: 'acme' })));
    await world.startWorker({ concurrency: 20 });
    await pollUntil(async () => probe.completed, (n) => n === 150, { what: '150 tasks', timeoutMs: 30_000 });
    expect(probe.max).toBe(5);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(runs.size).toBe(150);
    expect(concurrentSeen.length).toBeGreaterThan(0);
    expect(Math.max(...concurrentSeen)).toBeLessThanOrEqual(5);
    expect(Math.min(...concurrentSeen)).toBeGreaterThanOrEqual(1);
  });

  it('starts a held task on release, without waiting for the reconciler', async () => {
    const probe = new ConcurrencyProbe();
    const work = world.app.task({ name: 'work' }, async () => probe.around(() => sleep(1)));
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 1 } });
    // The reconciler runs once at start and then not for an hour: every promotion below comes
    // from a release.
    await world.startWorker({ concurrency: 10, reconciler: { intervalMs: 3_600_000 } });
    await work.applyBulk(Array.from({ length: 60 }, () => ({ args: [] as [], tenantId: 'acme' })));
    await pollUntil(async () => probe.completed, (n) => n === 60, { what: '60 tasks one at a time' });
    expect(probe.max).toBe(1);
  });

  it('raising the cap starts held tasks at once', async () => {
    const release = gate();
    const probe = new ConcurrencyProbe();
    const work = world.app.task({ name: 'work' }, async () => probe.around(() => release.promise));
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 1 } });
    await world.startWorker({ concurrency: 10, reconciler: { intervalMs: 3_600_000 } });
    await work.applyBulk(Array.from({ length: 4 }, () => ({ args: [] as [], tenantId: 'acme' })));
    await pollUntil(async () => probe.running, (n) => n === 1, { what: 'one running' });
    await world.manager.updateTenant('acme', { quotas: { maxConcurrentTasks: 3 } });
    await pollUntil(async () => probe.running, (n) => n === 3, { what: 'three running' });
    release.open();
    await pollUntil(async () => probe.completed, (n) => n === 4, { what: 'all done' });
  });

  it('checks a task without a slot (a delayed task come due) at claim time and holds it back without using an attempt', async () => {
    const release = gate();
    const started: number[] = [];
    const work = world.app.task({ name: 'work' }, async (n: number, ctx: TaskContext) => {
      started.push(ctx.attempt);
      if (n === 0) await release.promise;
      return n;
    });
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 1 } });
    await world.startWorker({ concurrency: 5 });
    const first = await work.applyAsync({ args: [0], tenantId: 'acme' });
    await pollUntil(async () => started.length, (n) => n === 1, { what: 'first running' });
    const later = await work.applyAsync({ args: [1], tenantId: 'acme', delayMs: 50 });
    await pollUntil(() => later.status(), (s) => s === 'held', { what: 'delayed task held' });
    expect(started).toHaveLength(1);
    release.open();
    expect(await first.get()).toBe(0);
    expect(await later.get()).toBe(1);
    expect(started).toEqual([1, 1]);
  });
});

describe('fair dispatch', () => {
  it("serves a quiet tenant while a noisy one has 10 000 tasks queued", async () => {
    let noisyDone = 0;
    let noisyDoneWhenQuietFinished = -1;
    let quietDone = 0;
    const work = world.app.task({ name: 'work' }, async (_tenant: string, ctx: TaskContext) => {
      await sleep(2);
      if (ctx.tenantId === 'noisy') noisyDone += 1;
      else if (++quietDone === 20) noisyDoneWhenQuietFinished = noisyDone;
    });
    await world.manager.createTenant({ tenantId: 'noisy', name: 'N' });
    await world.manager.createTenant({ tenantId: 'quiet', name: 'Q' });
    await world.raw.hset(`${world.prefix}:dispatch:window`, 'default', 40);
    await work.applyBulk(Array.from({ length: 10_000 }, () => ({ args: ['noisy'] as [string], tenantId: 'noisy' })));
    await world.startWorker({ concurrency: 20, dispatch: { window: 40 } });
    await pollUntil(async () => noisyDone, (n) => n >= 200, { what: 'noisy under way' });
    await work.applyBulk(Array.from({ length: 20 }, () => ({ args: ['quiet'] as [string], tenantId: 'quiet' })));
    await pollUntil(async () => quietDone, (n) => n === 20, { what: 'quiet served', timeoutMs: 30_000 });
    // The quiet tenant waited behind at most a window of the noisy tenant's tasks, not its backlog.
    expect(noisyDoneWhenQuietFinished).toBeLessThan(2_000);
    const held = (await world.manager.getTenantStats('noisy')).heldTasks;
    expect(held).toBeGreaterThan(5_000);
  });

  it('takes a burst of due tasks larger than one promotion batch through the fair path, each fetched once', async () => {
    const order: string[] = [];
    const work = world.app.task({ name: 'work' }, async (_n: number, ctx: TaskContext) => {
      order.push(ctx.tenantId);
    });
    await world.manager.createTenant({ tenantId: 'noisy', name: 'N' });
    await world.manager.createTenant({ tenantId: 'quiet', name: 'Q' });
    // Both tenants' tasks come due together, the quiet one about last of the delayed set (a
    // delay counts from each task's admission), so possibly past the other promotion batches.
    // BullMQ's own promotion would queue it behind all of them.
    const dueAt = Date.now() + 1000;
    await work.applyBulk(Array.from({ length: 350 }, (_, n) => ({ args: [n] as [number], tenantId: 'noisy', delayMs: dueAt - Date.now() })));
    await work.applyAsync({ args: [0], tenantId: 'quiet', delayMs: dueAt - Date.now() + 1 });
    await world.startWorker({ concurrency: 1 });
    await pollUntil(async () => order.length, (n) => n === 351, { what: 'all tasks run', timeoutMs: 30_000 });
    // Promoted a batch (20) per fetch, the quiet task is placed first in line when its batch is
    // due: behind at most one task per batch before it (351 tasks make 18 batches).
    expect(order.indexOf('quiet')).toBeLessThan(20);
    // BullMQ's own promotion took none: no task was fetched past its tenant's window and put
    // back (each such fetch is an 'active' event without a run).
    const events = await world.raw.xrange(`${world.prefix}:q:default:events`, '-', '+');
    expect(events.filter(([, fields]) => fields[1] === 'active')).toHaveLength(351);
  });
});

describe('retries and the dead-letter queue', () => {
  it("retries within min(task retries, tenant max_retry_count), then dead-letters", async () => {
    const attempts: number[] = [];
    const flaky = world.app.task({ name: 'flaky', retries: 5, backoff: 10 }, async (_: number, ctx: TaskContext) => {
      attempts.push(ctx.attempt);
      throw new Error(`boom on attempt ${ctx.attempt}`);
    });
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxRetryCount: 2 } });
    await world.startWorker();
    const result = await flaky.applyAsync({ args: [1], tenantId: 'acme' });
    await expect(result.get({ timeoutMs: 15_000 })).rejects.toThrow(TaskFailedError);
    expect(attempts).toEqual([1, 2, 3]);
    const entry = (await deadLetters())[`default:${jobIdOf('acme', result.taskId)}`]!;
    expect(entry).toMatchObject({ tenant_id: 'acme', queue: 'default', task: 'flaky', reason: 'retries_exhausted', attempts: '3', error: 'boom on attempt 3' });
    expect(entry.stack).toContain('boom on attempt 3');
    expect(JSON.parse(entry.data!)).toEqual({ tenant_id: 'acme', args: [1] });
  });

  it('applies a lowered max_retry_count to tasks already queued', async () => {
    const attempts: number[] = [];
    let lowered = false;
    const flaky = world.app.task({ name: 'flaky', retries: 5, backoff: 200 }, async (_: number, ctx: TaskContext) => {
      attempts.push(ctx.attempt);
      if (!lowered) {
        lowered = true;
        await world.manager.updateTenant('acme', { quotas: { maxRetryCount: 1 } });
      }
      throw new Error('always');
    });
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxRetryCount: 5 } });
    await world.startWorker();
    const result = await flaky.applyAsync({ args: [1], tenantId: 'acme' });
    await expect(result.get({ timeoutMs: 15_000 })).rejects.toThrow(TaskFailedError);
    expect(attempts).toEqual([1, 2]);
  });

  it('does not store a result over max_result_size_bytes: fails without retry, with both sizes', async () => {
    let runs = 0;
    const big = world.app.task({ name: 'big', retries: 3 }, async (size: number) => {
      runs += 1;
      return 'x'.repeat(size);
    });
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxResultSizeBytes: 100 } });
    await world.startWorker();
    const small = await big.applyAsync({ args: [98], tenantId: 'acme' });
    expect(await small.get()).toHaveLength(98);
    const large = await big.applyAsync({ args: [99], tenantId: 'acme' });
    await expect(large.get()).rejects.toThrow(/Task result too large: 101 bytes > max_result_size_bytes 100/);
    expect(runs).toBe(2);
    expect((await deadLetters())[`default:${jobIdOf('acme', large.taskId)}`]).toMatchObject({ reason: 'result_too_large', attempts: '1' });
    const job = await world.raw.hget(`${world.prefix}:q:default:${jobIdOf('acme', large.taskId)}`, 'returnvalue');
    expect(job).toBeNull();
  });

  it('dead-letters poison tasks with their reason and keeps going', async () => {
    const other = world.app.task({ name: 'fine' }, async () => 'ok');
    const nonError = world.app.task({ name: 'throws_string', retries: 3 }, async () => {
      throw 'not an error' as unknown as Error;
    });
    const hangs = world.app.task({ name: 'hangs', retries: 0, timeoutMs: 200 }, (_ctx: TaskContext) => new Promise<never>(() => undefined));
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    await world.startWorker();
    const plain = new Queue('default', { connection: { url: redisUrl() }, prefix: world.app.keys.bullPrefix() });
    const unknown = await plain.add('no_such_task', { tenant_id: 'acme', args: [] });
    const undecodable = await plain.add('fine', { something: 'else' });
    const thrown = await nonError.applyAsync({ args: [], tenantId: 'acme' });
    const hung = await hangs.applyAsync({ args: [], tenantId: 'acme' });
    const after = await other.applyAsync({ args: [], tenantId: 'acme' });
    expect(await after.get()).toBe('ok');
    const entries = await pollUntil(deadLetters, (e) => Object.keys(e).length === 4, { what: '4 dead letters' });
    expect(entries[`default:${unknown.id}`]).toMatchObject({ reason: 'not_admitted', tenant_id: '' });
    expect(entries[`default:${undecodable.id}`]).toMatchObject({ reason: 'undecodable_payload', tenant_id: '' });
    expect(entries[`default:${jobIdOf('acme', thrown.taskId)}`]).toMatchObject({ reason: 'non_error_thrown', attempts: '1' });
    expect(entries[`default:${jobIdOf('acme', hung.taskId)}`]).toMatchObject({ reason: 'timeout', error: 'Task timed out after 200 ms' });
    await plain.close();
  });
});

describe('disabling and deleting tenants', () => {
  it('disabling pauses a tenant (queued tasks stay held) and enabling resumes it', async () => {
    const release = gate();
    const probe = new ConcurrencyProbe();
    const work = world.app.task({ name: 'work' }, async (first: boolean) => probe.around(() => (first ? release.promise : sleep(1))));
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 1 } });
    await world.startWorker({ reconciler: { intervalMs: 3_600_000 } });
    await work.applyAsync({ args: [true], tenantId: 'acme' });
    await work.applyBulk(Array.from({ length: 5 }, () => ({ args: [false] as [boolean], tenantId: 'acme' })));
    await pollUntil(async () => probe.running, (n) => n === 1, { what: 'first running' });
    await world.manager.updateTenant('acme', { enabled: false });
    release.open();
    await pollUntil(async () => probe.completed, (n) => n === 1, { what: 'first done' });
    const stats = await world.manager.getTenantStats('acme');
    expect(stats).toMatchObject({ heldTasks: 5, concurrentTasks: 0 });
    expect(probe.completed).toBe(1);
    await world.manager.updateTenant('acme', { enabled: true });
    await pollUntil(async () => probe.completed, (n) => n === 6, { what: 'all done after enable' });
  });

  it('disabling pulls waiting tasks back from the shared queue, in order, until enabled', async () => {
    const order: number[] = [];
    const work = world.app.task({ name: 'work' }, async (n: number) => {
      order.push(n);
    });
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    // Twelve tasks: their ids (1-12) cross a digit, so order by id as text would be wrong.
    await work.applyBulk(Array.from({ length: 12 }, (_, i) => ({ args: [i] as [number], tenantId: 'acme' })));
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ waitingTasks: 12, heldTasks: 0 });
    await world.manager.updateTenant('acme', { enabled: false });
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ waitingTasks: 0, heldTasks: 12 });
    expect(await world.raw.llen(`${world.prefix}:q:default:wait`)).toBe(0);
    // One at a time: with more, handlers fetched in order may start in another.
    await world.startWorker({ concurrency: 1 });
    await world.manager.updateTenant('acme', { enabled: true });
    await pollUntil(async () => order.length, (n) => n === 12, { what: 'all run after enable' });
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('refuses to delete a tenant with queued tasks unless forced, then dead-letters them', async () => {
    const work = world.app.task({ name: 'work' }, async () => 'never runs');
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 1 } });
    const results = await work.applyBulk(Array.from({ length: 3 }, () => ({ args: [] as [], tenantId: 'acme' })));
    await expect(world.manager.deleteTenant('acme')).rejects.toThrow(TenantHasQueuedTasksError);
    expect(await world.manager.deleteTenant('acme', { force: true })).toBe(true);
    // The two held tasks go to the DLQ with the tenant; the waiting one when a worker picks it up.
    await world.startWorker();
    const entries = await pollUntil(deadLetters, (e) => Object.keys(e).length === 3, { what: '3 dead letters' });
    for (const r of results) {
      if (!r.ok) throw r.error;
      expect(entries[`default:${jobIdOf('acme', r.result.taskId)}`]).toMatchObject({ reason: 'tenant_deleted', tenant_id: 'acme' });
    }
  });
});
