import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueNotAllowedError, QuotaExceededError, RateLimitedError, TaskTooLargeError, TenantDisabledError } from '../../src/core/errors.js';
import { writeUsageSettings } from '../../src/dispatcher/usage-settings.js';
import type { UsageRow } from '../../src/tenancy/usage.js';
import type { TaskDefinition } from '../../src/tasks/task.js';
import { consumeUsageEvents, type UsageEvent } from '../../examples/billing/usage-consumer.js';
import { pollUntil } from '../helpers/context.js';
import { codeBlocks } from '../helpers/markdown.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * Usage metering end to end: a real worker runs a mixed load (successes, failures with
 * retries, a dead-lettered task, refusals of each kind), and the usage report counts exactly
 * what the tasks did, as the handlers and the submissions saw it.
 */

let world: TestWorld;
beforeEach(() => {
  world = new TestWorld();
});
afterEach(() => world.close());

/** Sums rows (a run may straddle an hour). */
function total(rows: readonly UsageRow[]): Omit<UsageRow, 'tenantId' | 'periodStart'> {
  const sum = { accepted: 0, started: 0, succeeded: 0, failed: 0, deadLettered: 0, handlerSeconds: 0, payloadBytes: 0, resultBytes: 0, rejected: {} as Record<string, number> };
  for (const row of rows) {
    for (const key of ['accepted', 'started', 'succeeded', 'failed', 'deadLettered', 'handlerSeconds', 'payloadBytes', 'resultBytes'] as const) sum[key] += row[key];
    for (const [reason, n] of Object.entries(row.rejected)) sum.rejected[reason] = (sum.rejected[reason] ?? 0) + n;
  }
  return sum as Omit<UsageRow, 'tenantId' | 'periodStart'>;
}

describe('usage metering', () => {
  it('counts exactly what a mixed run did: accepted, refused by reason, runs, outcomes, bytes, handler time', async () => {
    const started = Date.now();
    await world.tenant('acme', { maxTasksPerHour: 12, maxTaskSizeBytes: 200, allowedQueues: ['default'] });
    await world.tenant('beta');
    const seen = { runs: 0, succeeded: 0, failed: 0, resultBytes: 0, payloadBytes: 0, handlerMs: 0 };
    const attempts = new Map<string, number>();
    const measured = async <T>(fn: () => T): Promise<T> => {
      const t0 = Date.now();
      seen.runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      try {
        const result = fn();
        seen.succeeded += 1;
        seen.resultBytes += Buffer.byteLength(JSON.stringify(result));
        return result;
      } catch (error) {
        seen.failed += 1;
        throw error;
      } finally {
        seen.handlerMs += Date.now() - t0;
      }
    };
    const ok = world.app.task({ name: 'ok', retries: 0 }, (n: number) => measured(() => 'r'.repeat(n)));
    const flaky = world.app.task({ name: 'flaky', retries: 2, backoff: 10 }, (key: string) =>
      measured(() => {
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        if (n === 1) throw new Error('first try fails');
        return { key, n };
      }),
    );
    const doomed = world.app.task({ name: 'doomed', retries: 1, backoff: 10 }, () =>
      measured(() => {
        throw new Error('always fails');
      }),
    );
    const other = world.app.task({ name: 'other', queue: 'reports' }, async () => 1);
    await world.startWorker();

    const submit = async <A extends unknown[], R>(task: TaskDefinition<A, R>, args: A) => {
      seen.payloadBytes += Buffer.byteLength(JSON.stringify(args));
      return task.applyAsync({ args, tenantId: 'acme' });
    };
    const results: { get(o: { timeoutMs: number }): Promise<unknown> }[] = [];
    for (const n of [0, 1, 10, 100, 150]) results.push(await submit(ok, [n]));
    for (const key of ['a', 'bb']) results.push(await submit(flaky, [key]));
    const dead = await submit(doomed, []);
    // Refused: too large, a queue not allowed, and (after 12 accepted) the hourly quota; beta is disabled.
    await expect(ok.applyAsync({ args: ['x'.repeat(300) as unknown as number], tenantId: 'acme' })).rejects.toBeInstanceOf(TaskTooLargeError);
    await expect(other.applyAsync({ args: [], tenantId: 'acme' })).rejects.toBeInstanceOf(QueueNotAllowedError);
    for (let i = 0; i < 4; i++) results.push(await submit(ok, [i]));
    await expect(ok.applyAsync({ args: [1], tenantId: 'acme' })).rejects.toBeInstanceOf(QuotaExceededError);
    await expect(ok.applyAsync({ args: [2], tenantId: 'acme' })).rejects.toBeInstanceOf(QuotaExceededError);
    await world.manager.updateTenant('beta', { enabled: false });
    await expect(ok.applyAsync({ args: [3], tenantId: 'beta' })).rejects.toBeInstanceOf(TenantDisabledError);
    // A tenant whose rate limit refuses rather than throttles: one start a second, no burst.
    await world.manager.createTenant({ tenantId: 'gamma', name: 'G', quotas: { maxTasksPerSecond: 1, rateBurst: 1, rateLimitMode: 'reject' } });
    results.push(await other.applyAsync({ args: [], tenantId: 'gamma' }));
    await expect(other.applyAsync({ args: [], tenantId: 'gamma' })).rejects.toBeInstanceOf(RateLimitedError);

    for (const result of results) await result.get({ timeoutMs: 15_000 });
    await expect(dead.get({ timeoutMs: 15_000 })).rejects.toThrow('always fails');
    // The last finish is counted in the step that stores it, before get() can see it.
    const report = await world.manager.getUsageReport({ tenantId: 'acme', from: new Date(started - 3_600_000), to: new Date(Date.now() + 1000) });
    const sum = total(report);
    // 9 runs of ok, 2 + 2 of flaky (one failure each), 2 failures of doomed.
    expect(seen).toMatchObject({ runs: 15, succeeded: 11, failed: 4 });
    expect(sum).toEqual({
      accepted: 12,
      rejected: { disabled: 0, queue_not_allowed: 1, too_large: 1, quota_hour: 2, quota_day: 0, queue_full: 0, rate_limited: 0 },
      started: seen.runs,
      succeeded: seen.succeeded,
      failed: seen.failed,
      deadLettered: 1,
      handlerSeconds: sum.handlerSeconds,
      payloadBytes: seen.payloadBytes,
      resultBytes: seen.resultBytes,
    });
    // Handler time runs from the fetch to the finish, so it covers what the handlers measured.
    expect(sum.handlerSeconds * 1000).toBeGreaterThanOrEqual(seen.handlerMs);
    expect(sum.handlerSeconds * 1000).toBeLessThanOrEqual(seen.runs * (Date.now() - started));

    const beta = total(await world.manager.getUsageReport({ tenantId: 'beta', from: new Date(started), by: 'day' }));
    expect(beta).toMatchObject({ accepted: 0, started: 0, rejected: { disabled: 1 } });
    const gamma = total(await world.manager.getUsageReport({ tenantId: 'gamma', from: new Date(started), by: 'day' }));
    expect(gamma).toMatchObject({ accepted: 1, started: 1, succeeded: 1, rejected: { rate_limited: 1 } });
  });

  it('keeps each hour for the retention after it ends, lists its tenants, and exports every tenant', async () => {
    await writeUsageSettings(world.raw, world.app.keys, { retentionDays: 2, stream: false, streamMaxLength: 10 });
    await world.tenant('acme');
    await world.tenant('zeta');
    const task = world.app.task({ name: 'noop' }, async () => null);
    await task.applyAsync({ args: [], tenantId: 'acme' });
    await task.applyAsync({ args: [], tenantId: 'zeta' });
    const hour = Math.floor(Date.now() / 3_600_000) * 3600;
    const keys = world.app.keys;
    const expireAt = await world.raw.pexpiretime(keys.usageHour('acme', hour));
    // Allow for a submission that crossed into the next hour.
    expect([(hour + 3600) * 1000 + 2 * 86_400_000, (hour + 7200) * 1000 + 2 * 86_400_000]).toContain(expireAt);
    expect((await world.raw.smembers(keys.usageHourTenants(hour))).sort()).toEqual(['acme', 'zeta']);

    const rows: UsageRow[] = [];
    for await (const row of world.manager.exportUsage({ from: new Date(hour * 1000), to: new Date(Date.now() + 1000) })) rows.push(row);
    expect(rows.map((r) => [r.tenantId, r.accepted])).toEqual([
      ['acme', 1],
      ['zeta', 1],
    ]);
  });

  it('exports hour by hour across SSCAN batches, each tenant once per hour, the hour index and hashes as the scripts write them', async () => {
    const keys = world.app.keys;
    const first = Math.floor(Date.now() / 3_600_000) * 3600 - 7200;
    const tenants = Array.from({ length: 1200 }, (_, i) => `t${String(i).padStart(4, '0')}`);
    const pipeline = world.raw.pipeline();
    for (const hour of [first, first + 3600]) {
      for (const [i, tenantId] of tenants.entries()) pipeline.hset(keys.usageHour(tenantId, hour), 'accepted', i + 1, 'handler_ms', 1500);
      pipeline.sadd(keys.usageHourTenants(hour), ...tenants);
    }
    await pipeline.exec();
    const seen = new Map<number, Set<string>>();
    let lastHour = 0;
    for await (const row of world.manager.exportUsage({ from: new Date(first * 1000), to: new Date((first + 7200) * 1000) })) {
      const hour = row.periodStart.getTime() / 1000;
      expect(hour).toBeGreaterThanOrEqual(lastHour);
      lastHour = hour;
      expect(row.accepted).toBe(tenants.indexOf(row.tenantId) + 1);
      expect(row.handlerSeconds).toBe(1.5);
      const set = seen.get(hour) ?? new Set<string>();
      expect(set.has(row.tenantId)).toBe(false);
      seen.set(hour, set.add(row.tenantId));
    }
    expect([...seen.keys()]).toEqual([first, first + 3600]);
    expect([...seen.values()].map((set) => set.size)).toEqual([1200, 1200]);
  });

  it('adds every counted event to the usage stream when it is on, read by the example consumer with a consumer group', async () => {
    await world.tenant('acme', { maxTasksPerHour: 3 });
    const task = world.app.task({ name: 'echo', retries: 0 }, async (s: string) => s);
    const boom = world.app.task({ name: 'boom', retries: 0 }, async () => {
      throw new Error('boom');
    });
    await world.startWorker({ metering: { stream: true } });
    const keys = world.app.keys;
    await pollUntil(() => world.raw.hexists(keys.usageSettings(), 'stream_max_length'), (v) => v === 1, { what: 'stream on' });
    const a = await task.applyAsync({ args: ['hello'], tenantId: 'acme' });
    const b = await task.applyAsync({ args: ['hi'], tenantId: 'acme' });
    const c = await boom.applyAsync({ args: [], tenantId: 'acme' });
    await a.get({ timeoutMs: 10_000 });
    await b.get({ timeoutMs: 10_000 });
    await expect(c.get({ timeoutMs: 10_000 })).rejects.toThrow('boom');
    await expect(task.applyAsync({ args: ['no'], tenantId: 'acme' })).rejects.toBeInstanceOf(QuotaExceededError);

    const events: UsageEvent[] = [];
    const stop = new AbortController();
    const consumer = world.raw.duplicate();
    world.defer(() => consumer.quit());
    const consuming = consumeUsageEvents(consumer, {
      stream: keys.usageEvents(),
      group: 'billing',
      consumer: 'c1',
      signal: stop.signal,
      record: async (_id, event) => {
        events.push(event);
        if (events.length === 10) stop.abort();
      },
    });
    await consuming;
    expect(events.map((e) => e.event).sort()).toEqual([
      'accepted', 'accepted', 'accepted', 'dead_lettered', 'rejected', 'started', 'started', 'started', 'succeeded', 'succeeded',
    ]);
    expect(events.find((e) => e.event === 'dead_lettered')).toMatchObject({ tenant_id: 'acme', reason: 'retries_exhausted' });
    expect(events.find((e) => e.event === 'rejected')).toMatchObject({ tenant_id: 'acme', reason: 'quota_hour', queue: 'default' });
    expect(events.filter((e) => e.event === 'succeeded').map((e) => Number(e.result_bytes)).sort()).toEqual([4, 7]);
    // Every event was acknowledged.
    const pending = (await world.raw.xpending(keys.usageEvents(), 'billing')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  });

  it("documents the example consumer as it is in examples/billing", () => {
    const example = readFileSync('examples/billing/usage-consumer.ts', 'utf8');
    const documented = codeBlocks(readFileSync('docs/sdk.md', 'utf8')).filter((block) => block.code.includes('consumeUsageEvents('));
    expect(documented).toHaveLength(1);
    expect(example).toContain(documented[0]!.code.trim());
  });
});
