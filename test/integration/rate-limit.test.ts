import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classify } from '../../src/core/classify.js';
import { InvalidQuotaError, RateLimitedError } from '../../src/core/errors.js';
import { KeyLayout } from '../../src/core/keys.js';
import { readSnapshot } from '../../src/metrics/snapshot.js';
import { showTask } from '../../src/tasks/inspect.js';
import { pollUntil } from '../helpers/context.js';
import { fetchTimes, mostInWindow, overfullSpans } from '../helpers/probe.js';
import { ConcurrencyProbe, TestWorld, sleep } from '../helpers/worker.js';

let world: TestWorld;

beforeEach(() => {
  world = new TestWorld();
});

afterEach(() => world.close());

/** Runs `count` tasks of `tenantId` on one in-process worker and returns when each was fetched, sorted. */
async function runAndStamp(tenantId: string, count: number, concurrency = 20): Promise<number[]> {
  const starts: number[] = [];
  const work = world.app.task({ name: 'stamp', queue: 'rated' }, async () => {
    starts.push(Date.now());
  });
  const results = await work.applyBulk(Array.from({ length: count }, () => ({ args: [] as [], tenantId })));
  expect(results.every((r) => r.ok)).toBe(true);
  await world.startWorker({ concurrency });
  await pollUntil(() => world.raw.zcard(`${world.prefix}:q:rated:completed`), (n) => n === count, { what: `${count} completed`, timeoutMs: 30_000 });
  expect(starts).toHaveLength(count);
  return fetchTimes(world.raw, `${world.prefix}:q:rated`);
}

describe('rate limits: throttle (the default)', () => {
  it('starts 100 tasks at 20 per second: never more than limit + burst in a second, none before the rate allows', async () => {
    await world.tenant('acme', { maxTasksPerSecond: 20 });
    const starts = await runAndStamp('acme', 100);
    expect(mostInWindow(starts, 1000)).toBeLessThanOrEqual(40);
    expect(overfullSpans(starts, 20, 20)).toEqual([]);
    // The last of 100 starts comes (100 - 20) / 20 = 4 s after the first, at least.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(4000 - 30);
  });

  it('wakes held tasks by itself when nothing else happens in the queue (burst 1, per minute)', async () => {
    // 600 per minute is one start every 100 ms; with a burst of 1, no two start together.
    await world.tenant('acme', { maxTasksPerMinute: 600, rateBurst: 1 });
    const starts = await runAndStamp('acme', 8);
    expect(overfullSpans(starts, 10, 1)).toEqual([]);
    expect(mostInWindow(starts, 100 - 30)).toBe(1);
  });

  it('holds the cap and the rate together, across two queues', async () => {
    await world.tenant('acme', { maxConcurrentTasks: 3, maxTasksPerSecond: 20, rateBurst: 5 });
    const probe = new ConcurrencyProbe();
    const handler = async (): Promise<void> => probe.around(() => sleep(20));
    const first = world.app.task({ name: 'first', queue: 'rated' }, handler);
    const second = world.app.task({ name: 'second', queue: 'other' }, handler);
    for (const task of [first, second]) {
      await task.applyBulk(Array.from({ length: 20 }, () => ({ args: [] as [], tenantId: 'acme' })));
    }
    await world.startWorker({ concurrency: 10, queues: ['rated', 'other'] });
    await pollUntil(async () => probe.completed, (n) => n === 40, { what: '40 tasks', timeoutMs: 30_000 });
    await pollUntil(async () => (await world.manager.getTenantStats('acme')).concurrentTasks, (n) => n === 0, { what: 'slots released' });
    const starts = [...(await fetchTimes(world.raw, `${world.prefix}:q:rated`)), ...(await fetchTimes(world.raw, `${world.prefix}:q:other`))].sort((x, y) => x - y);
    expect(starts).toHaveLength(40);
    expect(probe.max).toBeLessThanOrEqual(3);
    expect(overfullSpans(starts, 20, 5)).toEqual([]);
  });

  it('says the held tasks wait for the rate (task show, stats)', async () => {
    await world.tenant('acme', { maxTasksPerSecond: 5 });
    const work = world.app.task({ name: 'later', queue: 'rated' }, async () => undefined);
    const results = await work.applyBulk(Array.from({ length: 12 }, () => ({ args: [] as [], tenantId: 'acme' })));
    // One second's worth (the default burst) is let through; the rest is held by the rate.
    expect(results.filter((r) => r.ok && r.result.placement === 'queued')).toHaveLength(5);
    const stats = await world.manager.getTenantStats('acme');
    expect(stats).toMatchObject({ waitingTasks: 5, heldTasks: 7 });
    expect(stats.rateLimitedUntil).not.toBeNull();
    const last = results.at(-1)!;
    if (!last.ok) throw last.error;
    const shown = await showTask(world.raw, new KeyLayout(world.prefix), 'acme', last.result.taskId);
    expect(shown).toMatchObject({ state: 'held', heldReason: 'rate' });
    // The metrics snapshot (read by the elected replica: this test holds the lock) agrees.
    const keys = new KeyLayout(world.prefix);
    await world.raw.set(keys.reconcilerLock(), 'test-replica');
    const snapshot = await readSnapshot(world.raw, [keys], 'test-replica');
    const acme = snapshot?.tenants.find((t) => t.tenantId === 'acme');
    expect([...(acme?.heldByReason ?? [])]).toEqual([['rate', 7]]);
    expect(acme?.quotas.get('max_tasks_per_second')).toBe(5);
  });

  it('leaves a tenant without a rate limit as it was: no rate state, no flag on its slots', async () => {
    await world.tenant('free');
    const work = world.app.task({ name: 'free', queue: 'rated' }, async () => undefined);
    await work.applyBulk(Array.from({ length: 5 }, () => ({ args: [] as [], tenantId: 'free' })));
    const scores = await world.raw.zrange(`${world.prefix}:tenant:free:slots:rated`, '0', '-1', 'WITHSCORES');
    // Waiting slot scores are -(dispatchedAt × 4 + flags); the rate flag is 1.
    expect(scores.filter((_, i) => i % 2 === 1).map((s) => -Number(s) % 2)).toEqual([0, 0, 0, 0, 0]);
    expect(await world.raw.exists(`${world.prefix}:tenant:free:rate`)).toBe(0);
    expect((await world.manager.getTenantStats('free')).rateLimitedUntil).toBeNull();
  });

  it('applies a rate set later to tasks already waiting', async () => {
    await world.tenant('acme');
    const work = world.app.task({ name: 'later', queue: 'rated' }, async () => undefined);
    await work.applyBulk(Array.from({ length: 10 }, () => ({ args: [] as [], tenantId: 'acme' })));
    expect((await world.manager.getTenantStats('acme')).waitingTasks).toBe(10);
    await world.manager.updateTenant('acme', { quotas: { maxTasksPerSecond: 3 } });
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ waitingTasks: 3, heldTasks: 7 });
  });
});

describe('rate limits: reject mode', () => {
  it('refuses tasks over the rate with RateLimitedError and the time to retry', async () => {
    await world.tenant('acme', { maxTasksPerSecond: 5, rateLimitMode: 'reject' });
    const work = world.app.task({ name: 'now', queue: 'rated' }, async () => undefined);
    const results = await work.applyBulk(Array.from({ length: 8 }, () => ({ args: [] as [], tenantId: 'acme' })));
    const accepted = results.filter((r) => r.ok);
    const refused = results.flatMap((r) => (r.ok ? [] : [r.error]));
    expect(accepted).toHaveLength(5);
    expect(refused).toHaveLength(3);
    for (const error of refused) {
      expect(error).toBeInstanceOf(RateLimitedError);
      const limited = error as RateLimitedError;
      expect(limited).toMatchObject({ code: 'RATE_LIMITED', limit: 5, unit: 'second', tenantId: 'acme' });
      // The next start is one interval (200 ms) away at most.
      expect(limited.retryAfterMs).toBeGreaterThan(0);
      expect(limited.retryAfterMs).toBeLessThanOrEqual(200);
      expect(limited.message).toMatch(/5 tasks per second.*retry in .*rate_limit_mode/);
      expect(classify(limited)).toBe('refused');
    }
    // Accepted tasks are not throttled again at dispatch: all five wait in the queue.
    expect((await world.manager.getTenantStats('acme')).waitingTasks).toBe(5);
    await expect(work.applyAsync({ args: [], tenantId: 'acme' })).rejects.toBeInstanceOf(RateLimitedError);
  });
});

describe('rate limit quotas', () => {
  it('are stored, audited and read back, with the snake_case names too', async () => {
    const tenant = await world.manager.createTenant({
      tenantId: 'acme',
      name: 'A',
      quotas: { max_tasks_per_second: 50, max_tasks_per_minute: 1000, rate_burst: 10, rate_limit_mode: 'reject' } as never,
    });
    expect(tenant.quotas).toMatchObject({ maxTasksPerSecond: 50, maxTasksPerMinute: 1000, rateBurst: 10, rateLimitMode: 'reject' });
    const updated = await world.manager.updateTenant('acme', { quotas: { rateLimitMode: null, maxTasksPerMinute: null } });
    expect(updated.quotas.rateLimitMode).toBeUndefined();
    expect(updated.quotas.maxTasksPerMinute).toBeUndefined();
    const [latest] = await world.manager.getAuditLog('acme');
    expect(latest?.changes).toMatchObject({ rate_limit_mode: { from: 'reject', to: null }, max_tasks_per_minute: { from: '1000', to: null } });
  });

  it.each([
    [{ maxTasksPerSecond: 0 }, /max_tasks_per_second: must be an integer from 1/],
    [{ maxTasksPerMinute: 1.5 }, /max_tasks_per_minute: must be an integer from 1/],
    [{ rateBurst: -1 }, /rate_burst: must be an integer from 1.*one second's worth/],
    [{ rateLimitMode: 'drop' }, /rate_limit_mode: must be one of throttle, reject/],
  ])('refuses %j with the reason', async (quotas, message) => {
    const error = await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: quotas as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidQuotaError);
    expect((error as Error).message).toMatch(message);
    expect(await world.raw.exists(`${world.prefix}:tenant:acme`)).toBe(0);
  });
});
