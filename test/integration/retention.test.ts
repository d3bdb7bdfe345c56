import { jobIdOf } from '../../src/core/task-ids.js';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskFailedError, TaskNotFoundError } from '../../src/core/errors.js';
import type { AsyncResult } from '../../src/tasks/result.js';
import { pollUntil } from '../helpers/context.js';
import { TestWorld, gate } from '../helpers/worker.js';

let world: TestWorld;

afterEach(() => world.close());

/** The key of a task's job: its BullMQ id is `<tenant>@<task id>`. */
const jobKey = (queue: string, id: string, tenantId = 'acme'): string => `${world.app.keys.bullPrefix()}:${queue}:${jobIdOf(tenantId, id)}`;

/** The ids BullMQ keeps in a queue's completed or failed set, oldest first. */
const kept = (queue: string, state: 'completed' | 'failed'): Promise<string[]> =>
  world.raw.zrange(`${world.app.keys.bullPrefix()}:${queue}:${state}`, '0', '-1');

/** Waits for a task's outcome: its result, or its failure's message. */
async function outcome(result: AsyncResult): Promise<unknown> {
  try {
    return await result.get({ timeoutMs: 10_000 });
  } catch (error) {
    if (error instanceof TaskFailedError) return `failed: ${error.message}`;
    throw error;
  }
}

describe('result retention', () => {
  it('keeps at most keepCompletedCount results per queue, the newest', async () => {
    world = new TestWorld(undefined, undefined, { results: { keepCompletedCount: 5 } });
    const echo = world.app.task({ name: 'echo' }, async (n: number) => n);
    await world.tenant('acme');
    await world.startWorker({ concurrency: 1, reconciler: { intervalMs: 100 } });
    const results: AsyncResult<number>[] = [];
    // One at a time, so that finish order is submission order.
    for (let n = 0; n < 12; n++) {
      const result = await echo.applyAsync({ args: [n], tenantId: 'acme' });
      expect(await result.get({ timeoutMs: 10_000 })).toBe(n);
      results.push(result);
    }
    expect(await kept('default', 'completed')).toEqual(results.slice(7).map((r) => jobIdOf('acme', r.taskId)));
    expect(await world.raw.exists(jobKey('default', results[6]!.taskId))).toBe(0);
    await expect(results[0]!.get()).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await results[11]!.get()).toBe(11);
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ storedResults: 5 });
    // The tenant's index forgets the jobs BullMQ removed at the reconciler's next pass.
    const index = world.app.keys.storedResults('acme', 'default', 'completed');
    await pollUntil(() => world.raw.zrange(index, '0', '-1'), (ids) => ids.length === 5, { what: 'index pruned' });
    expect(await world.raw.zrange(index, '0', '-1')).toEqual(results.slice(7).map((r) => jobIdOf('acme', r.taskId)));
  });

  it("drops the index entries of removed jobs at every 64th success of the tenant, without the reconciler's pass", async () => {
    world = new TestWorld(undefined, undefined, { results: { keepCompletedCount: 5 } });
    const echo = world.app.task({ name: 'echo' }, async (n: number) => n);
    await world.tenant('acme');
    // The reconciler's first pass runs at start, its next an hour later; one at a time, the last
    // task finishes last.
    await world.startWorker({ concurrency: 1, reconciler: { intervalMs: 3_600_000 } });
    const submitted = await echo.applyBulk(Array.from({ length: 200 }, (_, n) => ({ args: [n] as [number], tenantId: 'acme' })));
    const last = submitted.at(-1)!;
    if (!last.ok) throw last.error;
    expect(await last.result.get({ timeoutMs: 10_000 })).toBe(199);
    const index = await world.raw.zrange(world.app.keys.storedResults('acme', 'default', 'completed'), '0', '-1');
    // Pruned at the tenant's 192nd success in the hour, then 8 more: at most 13, plus jobs that
    // finished in the oldest kept one's millisecond (up to 63 more should the hour turn mid-run).
    // Unpruned it would hold all 200.
    expect(index.length).toBeLessThan(128);
    expect(index).toEqual(expect.arrayContaining(await kept('default', 'completed')));
  });

  it('stores nothing for a task with ignoreResult, while a waiting get() still receives its result', async () => {
    world = new TestWorld();
    const release = gate();
    const fire = world.app.task({ name: 'fire', ignoreResult: true }, async () => {
      await release.promise;
      return 'done';
    });
    await world.tenant('acme');
    await world.app.queueEvents('default');
    await world.startWorker();
    const result = await fire.applyAsync({ args: [], tenantId: 'acme' });
    const waiting = result.get({ timeoutMs: 10_000 });
    await pollUntil(() => result.status(), (s) => s === 'running', { what: 'task running' });
    release.open();
    expect(await waiting).toBe('done');
    await pollUntil(() => world.raw.exists(jobKey('default', result.taskId)), (n) => n === 0, { what: 'job removed' });
    expect(await kept('default', 'completed')).toEqual([]);
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ storedResults: 0 });
  });

  it('keeps a result keepResultSeconds, set per task', async () => {
    world = new TestWorld();
    const short = world.app.task({ name: 'short', keepResultSeconds: 1 }, async () => 1);
    await world.tenant('acme');
    await world.startWorker();
    const result = await short.applyAsync({ args: [], tenantId: 'acme' });
    const job = await world.app.getJob('default', result.taskId, 'acme');
    expect(job?.opts.removeOnComplete).toEqual({ age: 1, count: 10_000 });
    expect(await result.get({ timeoutMs: 10_000 })).toBe(1);
  });

  it('refuses a bad keepResultSeconds or keepCompletedCount with the reason', () => {
    world = new TestWorld();
    expect(() => world.app.task({ name: 'bad', keepResultSeconds: 0 }, async () => 1)).toThrow(
      /Invalid keepResultSeconds 0: expected a whole number from 1/,
    );
    expect(() => new TestWorld(undefined, undefined, { results: { keepCompletedCount: -1 } })).toThrow(
      /Invalid results.keepCompletedCount -1/,
    );
  });
});

describe('max_stored_results', () => {
  it("removes the tenant's oldest stored results first, across queues and failures, and no other tenant's", async () => {
    world = new TestWorld();
    const a = world.app.task({ name: 'a', queue: 'qa' }, async (n: number) => n);
    const b = world.app.task({ name: 'b', queue: 'qb', retries: 0 }, async (n: number) => {
      if (n < 0) throw new Error('boom');
      return n;
    });
    await world.tenant('capped', { maxStoredResults: 3 });
    await world.tenant('free');
    await world.startWorker({ concurrency: 1 });
    const finished: { result: AsyncResult; queue: string }[] = [];
    const steps: [typeof a | typeof b, string, number][] = [
      [a, 'qa', 1], [b, 'qb', -1], [a, 'qa', 2], [b, 'qb', 3], [a, 'qa', 4], [b, 'qb', -5],
    ];
    for (const [task, queue, n] of steps) {
      for (const tenantId of ['capped', 'free']) {
        const result = await task.applyAsync({ args: [n], tenantId });
        await outcome(result);
        if (tenantId === 'capped') finished.push({ result, queue });
      }
    }
    const exists = async ({ result, queue }: { result: AsyncResult; queue: string }): Promise<boolean> =>
      (await world.raw.exists(jobKey(queue, result.taskId, result.tenantId))) === 1;
    expect(await Promise.all(finished.map(exists))).toEqual([false, false, false, true, true, true]);
    // Removed from BullMQ's sets too, not only their hashes.
    const capped = new Set(finished.slice(0, 3).map((f) => `${f.queue}:${jobIdOf(f.result.tenantId, f.result.taskId)}`));
    const refs = async (queue: string, state: 'completed' | 'failed'): Promise<string[]> =>
      (await kept(queue, state)).map((id) => `${queue}:${id}`);
    const left = [...(await refs('qa', 'completed')), ...(await refs('qb', 'completed')), ...(await refs('qb', 'failed'))];
    expect(left.filter((ref) => capped.has(ref))).toEqual([]);
    expect(left).toHaveLength(3 + 6);
    expect(await outcome(finished[5]!.result)).toMatch(/^failed: .*boom/);
    await expect(finished[0]!.result.get()).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await world.manager.getTenantStats('capped')).toMatchObject({ storedResults: 3 });
    expect(await world.manager.getTenantStats('free')).toMatchObject({ storedResults: 6 });
  });

  it('applies a lowered limit at the next finish, and null lifts it', async () => {
    world = new TestWorld();
    const echo = world.app.task({ name: 'echo' }, async (n: number) => n);
    await world.tenant('acme');
    await world.startWorker({ concurrency: 1 });
    for (let n = 0; n < 5; n++) await (await echo.applyAsync({ args: [n], tenantId: 'acme' })).get({ timeoutMs: 10_000 });
    await world.manager.updateTenant('acme', { quotas: { maxStoredResults: 2 } });
    await (await echo.applyAsync({ args: [5], tenantId: 'acme' })).get({ timeoutMs: 10_000 });
    expect(await kept('default', 'completed')).toHaveLength(2);
    await world.manager.updateTenant('acme', { quotas: { maxStoredResults: null } });
    await (await echo.applyAsync({ args: [6], tenantId: 'acme' })).get({ timeoutMs: 10_000 });
    expect(await kept('default', 'completed')).toHaveLength(3);
    const audit = await world.manager.getAuditLog('acme');
    expect(audit.map((e) => e.changes)).toContainEqual({ max_stored_results: { from: null, to: '2' } });
  });

  it('refuses a negative max_stored_results with the reason', async () => {
    world = new TestWorld();
    await expect(world.tenant('acme', { maxStoredResults: -1 })).rejects.toThrow(/max_stored_results/);
  });
});
