import { alternate, inBatches, type BenchContext, type Benchmark } from './lib/bench.js';
import type { MetricResult } from './lib/report.js';
import { now, percentile, sleep, withTimeout } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 3. Noisy neighbour: one tenant has a backlog, a quiet tenant submits a burst of 100 while
 * the backlog is being worked off (5 ms handlers, concurrency 50). Figure: the quiet tasks' p99
 * wait, from submission to the start of their handler. With plain BullMQ the burst queues
 * behind the whole backlog; with Turbine behind at most a dispatch window of it.
 */
const CONCURRENCY = 50;
const HANDLER_MS = 5;
const BURST = 100;
const BATCH = 1000;
/** Backlog tasks finished before the burst, so that it lands in a worker running flat out. */
const WARMUP = 2 * CONCURRENCY;

/** Start times of the quiet tasks, and a promise for the last of them. */
class QuietStarts {
  readonly starts: number[] = [];
  private resolve: () => void = () => undefined;
  readonly all = new Promise<void>((resolve) => (this.resolve = resolve));

  record(): void {
    this.starts.push(now());
    if (this.starts.length === BURST) this.resolve();
  }

  async p99Since(submittedAt: number, timeoutMs: number): Promise<number> {
    await withTimeout(this.all, timeoutMs, () => `only ${this.starts.length} of ${BURST} quiet tasks started within ${timeoutMs} ms`);
    return percentile(this.starts.map((s) => s - submittedAt), 99);
  }
}

async function untilCount(read: () => number, count: number): Promise<void> {
  while (read() < count) await sleep(5);
}

async function turbineRound(ctx: BenchContext, backlog: number): Promise<number> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    await side.createTenants(['noisy', 'quiet']);
    const quiet = new QuietStarts();
    const work = side.app.task({ name: 'work', queue: 'work' }, async (isQuiet: boolean) => {
      if (isQuiet) quiet.record();
      await sleep(HANDLER_MS);
    });
    await inBatches(backlog, BATCH, async (_from, count) => {
      const items = Array.from({ length: count }, () => ({ args: [false] as [boolean], tenantId: 'noisy' }));
      return (await work.applyBulk(items)).filter((r) => r.ok).length;
    });
    let finished = 0;
    await side.startWorker(CONCURRENCY, (w) => w.on('task:finished', () => (finished += 1)));
    await untilCount(() => finished, WARMUP);
    const submittedAt = now();
    const burst = await work.applyBulk(Array.from({ length: BURST }, () => ({ args: [true] as [boolean], tenantId: 'quiet' })));
    if (!burst.every((r) => r.ok)) throw new Error('a quiet task was refused');
    return await quiet.p99Since(submittedAt, 120_000);
  } finally {
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, backlog: number): Promise<number> {
  const side = new PeerSide(ctx.redis.url);
  try {
    const quiet = new QuietStarts();
    await inBatches(backlog, BATCH, async (_from, count) => {
      const jobs = Array.from({ length: count }, () => ({ name: 'work', data: { tenant_id: 'noisy', args: [false] }, opts: PEER_JOB_OPTIONS }));
      return (await side.queue.addBulk(jobs)).length;
    });
    let finished = 0;
    const worker = await side.worker(CONCURRENCY, async (job) => {
      if ((job.data.args as boolean[])[0]) quiet.record();
      await sleep(HANDLER_MS);
    });
    worker.on('completed', () => (finished += 1));
    void worker.run();
    await untilCount(() => finished, WARMUP);
    const submittedAt = now();
    await side.queue.addBulk(Array.from({ length: BURST }, () => ({ name: 'work', data: { tenant_id: 'quiet', args: [true] }, opts: PEER_JOB_OPTIONS })));
    // The burst waits for the whole backlog: allow for a slow machine.
    return await quiet.p99Since(submittedAt, 30 * 60_000);
  } finally {
    await side.close();
  }
}

export const noisy: Benchmark = {
  name: 'noisy',
  async run(ctx) {
    const backlogs = ctx.quick ? [2000, 20_000] : [20_000, 200_000];
    const results: MetricResult[] = [];
    for (const backlog of backlogs) {
      const result: MetricResult = {
        bench: `3. Noisy neighbour: backlog ${backlog}, quiet burst ${BURST}, ${HANDLER_MS} ms, c=${CONCURRENCY}`,
        metric: 'quiet p99 wait (ms)',
        turbine: [],
        peer: [],
        target: { kind: 'max', value: 100 },
      };
      for (let round = 0; round < ctx.rounds; round++) {
        const r = await alternate(ctx, round, () => turbineRound(ctx, backlog), () => peerRound(ctx, backlog));
        result.turbine.push(r.turbine);
        result.peer!.push(r.peer);
        ctx.log(`noisy ${backlog} round ${round + 1}: turbine p99 ${r.turbine.toFixed(1)} ms, peer p99 ${r.peer.toFixed(1)} ms`);
      }
      results.push(result);
    }
    return results;
  },
};
