import path from 'node:path';
import { collectRounds, inBatches, type BenchContext, type Benchmark, type FigureRow } from './lib/bench.js';
import { FIXTURES, TurbineWorkerProcess, startPeerWorker, type Child } from './lib/processes.js';
import { sleep } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 6. Memory of a large backlog held back: a tenant with max_concurrent_tasks 0 keeps every task
 * it submits (applyBulk) held, while a `turbine-worker` process runs. Figures: the worker's peak
 * RSS, and Redis memory per held task (INFO used_memory delta / count). The peer stores the same
 * jobs (same name, data and options) as plain BullMQ delayed jobs (addBulk with a delay), with a
 * plain BullMQ worker process running.
 */
const BATCH = 1000;
const DELAY_MS = 3_600_000;
/** After submission, long enough for a reconciler pass and a metrics refresh (5 s each by default). */
const SETTLE_MS = 6000;

interface Figures {
  rssMb: number;
  bytesPerTask: number;
}

/** Samples a process's RSS until stopped; returns the peak. */
function watchRss(child: Child): { stop: () => number } {
  let peak = child.rss();
  const timer = setInterval(() => (peak = Math.max(peak, child.rss())), 500);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, child.rss());
    },
  };
}

async function measure(ctx: BenchContext, worker: Child, total: number, submit: () => Promise<void>): Promise<Figures> {
  await sleep(SETTLE_MS);
  const before = await ctx.redis.usedMemory();
  const rss = watchRss(worker);
  await submit();
  await sleep(SETTLE_MS);
  const after = await ctx.redis.usedMemory();
  return { rssMb: rss.stop() / 2 ** 20, bytesPerTask: (after - before) / total };
}

async function turbineRound(ctx: BenchContext, total: number): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url);
  let worker: Child | null = null;
  try {
    await side.createTenants(['frozen'], { maxConcurrentTasks: 0 });
    worker = await TurbineWorkerProcess.start({
      url: ctx.redis.url,
      prefix: side.prefix,
      app: path.join(FIXTURES, 'probe-app.mjs'),
      args: ['--concurrency', '50'],
    });
    const record = side.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _ms: number) => id);
    return await measure(ctx, worker, total, () =>
      inBatches(total, BATCH, async (from, count) => {
        const items = Array.from({ length: count }, (_, i) => ({ args: [`t-${from + i}`, 5] as [string, number], tenantId: 'frozen' }));
        const results = await record.applyBulk(items);
        if (results.some((r) => r.ok && r.result.placement !== 'held')) throw new Error('a task was not held back');
        return results.filter((r) => r.ok).length;
      }),
    );
  } finally {
    await worker?.stop();
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, total: number): Promise<Figures> {
  const side = new PeerSide(ctx.redis.url);
  let worker: Child | null = null;
  try {
    worker = await startPeerWorker({ url: ctx.redis.url, prefix: side.prefix, concurrency: 50 });
    return await measure(ctx, worker, total, () =>
      inBatches(total, BATCH, async (from, count) => {
        const jobs = Array.from({ length: count }, (_, i) => ({
          name: 'record',
          data: { tenant_id: 'frozen', args: [`t-${from + i}`, 5] },
          opts: { ...PEER_JOB_OPTIONS, attempts: 1, delay: DELAY_MS },
        }));
        return (await side.queue.addBulk(jobs)).length;
      }),
    );
  } finally {
    await worker?.stop();
    await side.close();
  }
}

export const memory: Benchmark = {
  name: 'memory',
  async run(ctx) {
    const total = ctx.held;
    const bench = `6. Memory: ${total.toLocaleString('en-US')} held tasks (peer: delayed jobs)`;
    const rows: FigureRow<Figures>[] = [
      ['rssMb', { bench, metric: 'worker peak RSS (MB)', turbine: [], peer: [], target: { kind: 'max', value: 200 } }],
      ['bytesPerTask', { bench, metric: 'Redis bytes per task', turbine: [], peer: [], target: { kind: 'ratio-max', value: 1.25 } }],
    ];
    const sides = { turbine: () => turbineRound(ctx, total), peer: () => peerRound(ctx, total) };
    return collectRounds(ctx, rows, sides, (r, round) =>
      ctx.log(`memory round ${round + 1}: turbine ${JSON.stringify(r.turbine)}, peer ${JSON.stringify(r.peer)}`),
    );
  },
};
