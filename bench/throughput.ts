import { Progress, collectRounds, waitForCard, type BenchContext, type Benchmark, type FigureRow } from './lib/bench.js';
import { NOOP_CONCURRENCY as CONCURRENCY, NOOP_TENANTS as TENANTS, prepareTurbineNoop, submitPeerNoop } from './lib/noop-workload.js';
import { PeerSide, TurbineSide } from './lib/world.js';

/**
 * 1. Processing rate of a no-op handler, concurrency 50, 10 tenants without quotas (fair
 * dispatch on, with its default window). Tasks are submitted first (applyBulk / addBulk);
 * the rate is taken from the first start to the last job stored as completed. The CPU time of
 * redis-server and of this process (the worker) per task shows which side limits the rate.
 */

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

async function turbineRound(ctx: BenchContext, total: number, logLevel: 'error' | 'info'): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    const submit = await prepareTurbineNoop(side);
    await submit(total);
    return await measure(ctx, total, async () => {
      const progress = new Progress(total);
      await side.startWorker(CONCURRENCY, (worker) => {
        worker.on('task:started', () => progress.started());
        worker.on('task:finished', () => progress.finished());
      }, logLevel);
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
    await submitPeerNoop(side, total);
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

/** Benchmark 1 with the worker logging at `level`: errors only (1a), or a line per task (1b). */
function throughputBenchmark(name: string, label: string, level: 'error' | 'info', targetRatio: number): Benchmark {
  return {
    name,
    async run(ctx) {
      const total = ctx.quick ? 3000 : 20_000;
      const bench = `${label} (${total} no-op tasks, ${TENANTS} tenants, c=${CONCURRENCY}, logs at ${level})`;
      const rows: FigureRow<Figures>[] = [
        ['rate', { bench, metric: 'tasks/s', turbine: [], peer: [], target: { kind: 'ratio-min', value: targetRatio } }],
        ['redisCpuUs', { bench, metric: 'redis-server CPU per task (µs)', turbine: [], peer: [] }],
        ['nodeCpuUs', { bench, metric: 'worker (Node) CPU per task (µs)', turbine: [], peer: [] }],
      ];
      const sides = { turbine: () => turbineRound(ctx, total, level), peer: () => peerRound(ctx, total) };
      return collectRounds(ctx, rows, sides, (r, round) =>
        ctx.log(`${name} round ${round + 1}: turbine ${r.turbine.rate.toFixed(0)}/s, peer ${r.peer.rate.toFixed(0)}/s`),
      );
    },
  };
}

export const throughput = throughputBenchmark('throughput', '1a. Throughput', 'error', 0.85);
export const throughputInfo = throughputBenchmark('throughput-info', '1b. Throughput', 'info', 0.75);
