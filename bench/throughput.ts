import { Progress, collectRounds, waitForCard, type BenchContext, type Benchmark, type FigureRow } from './lib/bench.js';
import { NOOP_CONCURRENCY as CONCURRENCY, NOOP_TENANTS as TENANTS, prepareTurbineNoop, submitPeerNoop } from './lib/noop-workload.js';
import type { BenchRedis } from './lib/redis.js';
import { PeerSide, TurbineSide } from './lib/world.js';

/**
 * 1. Processing rate of a no-op handler, concurrency 50, 10 tenants without quotas (fair
 * dispatch on, with its default window). Tasks are submitted first (applyBulk / addBulk);
 * the rate is taken from the first start to the last job stored as completed. The CPU time of
 * redis-server and of this process (the worker) per task shows which side limits the rate.
 */

/** Processing rate, and CPU time per task of redis-server and of this process (the worker). */
export interface ThroughputFigures {
  rate: number;
  redisCpuUs: number;
  nodeCpuUs: number;
}

/** Measures `run` (which returns the first start and the end time) for `total` tasks. */
async function measure(redis: BenchRedis, total: number, run: () => Promise<[number, number]>): Promise<ThroughputFigures> {
  const redisCpu = await redis.cpuSeconds();
  const nodeCpu = process.cpuUsage();
  const [first, end] = await run();
  const node = process.cpuUsage(nodeCpu);
  const redisCpuUs = ((await redis.cpuSeconds()) - redisCpu) * 1e6;
  return { rate: total / ((end - first) / 1000), redisCpuUs: redisCpuUs / total, nodeCpuUs: (node.user + node.system) / total };
}

/**
 * Turbine's round: the tasks submitted, then processed by a worker in this process. `beside`,
 * when given, is started on the side's prefix once the tasks are submitted and runs through the
 * measured processing (the web console benchmark's browsers); it returns how to stop it.
 */
export async function turbineRound(
  redis: BenchRedis,
  total: number,
  logLevel: 'error' | 'info',
  beside: (prefix: string) => Promise<() => Promise<void>> = async () => async () => undefined,
): Promise<ThroughputFigures> {
  const side = new TurbineSide(redis.url);
  let stopBeside = async (): Promise<void> => undefined;
  try {
    const submit = await prepareTurbineNoop(side);
    await submit(total);
    stopBeside = await beside(side.prefix);
    return await measure(redis, total, async () => {
      const progress = new Progress(total);
      await side.startWorker(CONCURRENCY, (worker) => {
        worker.on('task:started', () => progress.started());
        worker.on('task:finished', () => progress.finished());
      }, logLevel);
      await progress.wait(300_000, 'turbine throughput');
      return [progress.firstStart, await waitForCard(redis.raw, `${side.prefix}:q:work:completed`, total)];
    });
  } finally {
    await stopBeside();
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, total: number): Promise<ThroughputFigures> {
  const side = new PeerSide(ctx.redis.url);
  try {
    await submitPeerNoop(side, total);
    return await measure(ctx.redis, total, async () => {
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
      const rows: FigureRow<ThroughputFigures>[] = [
        ['rate', { bench, metric: 'tasks/s', turbine: [], peer: [], target: { kind: 'ratio-min', value: targetRatio } }],
        ['redisCpuUs', { bench, metric: 'redis-server CPU per task (µs)', turbine: [], peer: [] }],
        ['nodeCpuUs', { bench, metric: 'worker (Node) CPU per task (µs)', turbine: [], peer: [] }],
      ];
      const sides = { turbine: () => turbineRound(ctx.redis, total, level), peer: () => peerRound(ctx, total) };
      return collectRounds(ctx, rows, sides, (r, round) =>
        ctx.log(`${name} round ${round + 1}: turbine ${r.turbine.rate.toFixed(0)}/s, peer ${r.peer.rate.toFixed(0)}/s`),
      );
    },
  };
}

export const throughput = throughputBenchmark('throughput', '1a. Throughput', 'error', 0.85);
export const throughputInfo = throughputBenchmark('throughput-info', '1b. Throughput', 'info', 0.75);
