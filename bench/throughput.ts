import { Progress, alternate, inBatches, tenantIds, waitForCard, type BenchContext, type Benchmark } from './lib/bench.js';
import type { MetricResult } from './lib/report.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 1. Processing rate of a no-op handler, concurrency 50, 10 tenants without quotas (fair
 * dispatch on, with its default window). Tasks are submitted first (applyBulk / addBulk);
 * the rate is taken from the first start to the last job stored as completed. The CPU time of
 * redis-server and of this process (the worker) per task shows which side limits the rate.
 */
const CONCURRENCY = 50;

/** Processing rate, and CPU time per task of redis-server and of this process (the worker). */
interface Figures {
  rate: number;
  redisCpuUs: number;
  nodeCpuUs: number;
}

/** Measures `run` (which returns the first start and the end time) for `total` tasks. */
async function measure(ctx: BenchContext, total: number, run: () => Promise<[number, number]>): Promise<Figures> {
  const redisCpu = await ctx.redis.cpuSeconds();
  const nodeCpu = process.cpuUsage();
  const [first, end] = await run();
  const node = process.cpuUsage(nodeCpu);
  const redisCpuUs = ((await ctx.redis.cpuSeconds()) - redisCpu) * 1e6;
  return { rate: total / ((end - first) / 1000), redisCpuUs: redisCpuUs / total, nodeCpuUs: (node.user + node.system) / total };
}
const TENANTS = 10;
const BATCH = 1000;

async function turbineRound(ctx: BenchContext, total: number): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    const tenants = tenantIds(TENANTS);
    await side.createTenants(tenants);
    const noop = side.app.task({ name: 'noop', queue: 'work' }, async () => null);
    await inBatches(total, BATCH, async (from, count) => {
      const items = Array.from({ length: count }, (_, i) => ({ args: [] as [], tenantId: tenants[(from + i) % TENANTS]! }));
      return (await noop.applyBulk(items)).filter((r) => r.ok).length;
    });
    return await measure(ctx, total, async () => {
      const progress = new Progress(total);
      await side.startWorker(CONCURRENCY, (worker) => {
        worker.on('task:started', () => progress.started());
        worker.on('task:finished', () => progress.finished());
      });
      await progress.wait(300_000, 'turbine throughput');
      return [progress.firstStart, await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:completed`, total)];
    });
  } finally {
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, total: number): Promise<Figures> {
  const side = new PeerSide(ctx.redis.url);
  try {
    await inBatches(total, BATCH, async (from, count) => {
      const jobs = Array.from({ length: count }, (_, i) => ({
        name: 'noop',
        data: { tenant_id: `tenant-${(from + i) % TENANTS}`, args: [] },
        opts: PEER_JOB_OPTIONS,
      }));
      return (await side.queue.addBulk(jobs)).length;
    });
    return await measure(ctx, total, async () => {
      const progress = new Progress(total);
      const worker = await side.worker(CONCURRENCY, async () => null);
      worker.on('active', () => progress.started());
      worker.on('completed', () => progress.finished());
      void worker.run();
      await progress.wait(300_000, 'peer throughput');
      return [progress.firstStart, await waitForCard(ctx.redis.raw, `${side.prefix}:work:completed`, total)];
    });
  } finally {
    await side.close();
  }
}

export const throughput: Benchmark = {
  name: 'throughput',
  async run(ctx) {
    const total = ctx.quick ? 3000 : 20_000;
    const bench = `1. Throughput (${total} no-op tasks, ${TENANTS} tenants, c=${CONCURRENCY})`;
    const rows: [keyof Figures, MetricResult][] = [
      ['rate', { bench, metric: 'tasks/s', turbine: [], peer: [], target: { kind: 'ratio-min', value: 0.85 } }],
      ['redisCpuUs', { bench, metric: 'redis-server CPU per task (µs)', turbine: [], peer: [] }],
      ['nodeCpuUs', { bench, metric: 'worker (Node) CPU per task (µs)', turbine: [], peer: [] }],
    ];
    for (let round = 0; round < ctx.rounds; round++) {
      const r = await alternate(ctx, round, () => turbineRound(ctx, total), () => peerRound(ctx, total));
      for (const [key, row] of rows) {
        row.turbine.push(r.turbine[key]);
        row.peer!.push(r.peer[key]);
      }
      ctx.log(`throughput round ${round + 1}: turbine ${r.turbine.rate.toFixed(0)}/s, peer ${r.peer.rate.toFixed(0)}/s`);
    }
    return rows.map(([, row]) => row);
  },
};
