import { inBatches, type BenchContext, type Benchmark } from './lib/bench.js';
import type { MetricResult } from './lib/report.js';
import { now, percentile, sleep, withTimeout } from './lib/stats.js';
import { TurbineSide } from './lib/world.js';

/**
 * 4. Release-to-start latency of a capped tenant (cap 5, a backlog held back behind it): how
 * long after a task ends does its held successor start? Handlers record their start and end;
 * with the cap always full, the k-th start follows the (k−5)-th end. Plain BullMQ has no
 * per-tenant cap, so there is no peer figure.
 */
const CAP = 5;
const CONCURRENCY = 50;
const HANDLER_MS = 1;

async function round(ctx: BenchContext, backlog: number): Promise<{ p50: number; p99: number }> {
  await ctx.redis.flush();
  const side = new TurbineSide(ctx.redis.url);
  try {
    await side.createTenants(['capped'], { maxConcurrentTasks: CAP });
    const starts: number[] = [];
    const ends: number[] = [];
    let resolve: () => void = () => undefined;
    const all = new Promise<void>((r) => (resolve = r));
    const work = side.app.task({ name: 'work', queue: 'work' }, async () => {
      starts.push(now());
      await sleep(HANDLER_MS);
      ends.push(now());
      if (ends.length === backlog) resolve();
    });
    await inBatches(backlog, 1000, async (_from, count) => {
      const items = Array.from({ length: count }, () => ({ args: [] as [], tenantId: 'capped' }));
      return (await work.applyBulk(items)).filter((r) => r.ok).length;
    });
    await side.startWorker(CONCURRENCY);
    await withTimeout(all, 600_000, () => `release: ${ends.length}/${backlog} done`);
    starts.sort((a, b) => a - b);
    ends.sort((a, b) => a - b);
    const gaps = starts.slice(CAP).map((start, k) => start - ends[k]!);
    return { p50: percentile(gaps, 50), p99: percentile(gaps, 99) };
  } finally {
    await side.close();
    await ctx.redis.flush();
  }
}

export const release: Benchmark = {
  name: 'release',
  async run(ctx) {
    const backlog = ctx.quick ? 1000 : 5000;
    const bench = `4. Release → start, cap ${CAP}, backlog ${backlog}, c=${CONCURRENCY}`;
    const p99: MetricResult = { bench, metric: 'p99 (ms)', turbine: [], peer: null, target: { kind: 'max', value: 5 } };
    const p50: MetricResult = { bench, metric: 'p50 (ms)', turbine: [], peer: null };
    for (let r = 0; r < ctx.rounds; r++) {
      const figures = await round(ctx, backlog);
      p99.turbine.push(figures.p99);
      p50.turbine.push(figures.p50);
      ctx.log(`release round ${r + 1}: p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms`);
    }
    return [p99, p50];
  },
};
