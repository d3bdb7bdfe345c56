import { alternate, inBatches, type BenchContext, type Benchmark } from './lib/bench.js';
import type { MetricResult } from './lib/report.js';
import { sleep } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 9. Weights: three tenants of weight 1, 2 and 4, each with a backlog that outlasts the run,
 * share a queue (5 ms tasks, c=50). Figure: each tenant's share of the tasks started in the
 * measured interval (after a warm-up), beside its weight's share (1/7, 2/7, 4/7), and the
 * largest relative gap. Plain BullMQ has no weights: the same backlogs run in submission order.
 */
const CONCURRENCY = 50;
const HANDLER_MS = 5;
const WEIGHTS = [1, 2, 4] as const;
const BATCH = 1000;
const WARMUP_MS = 1000;

/** Started tasks per tenant (by index) within [from, to). */
class Shares {
  private readonly counts = WEIGHTS.map(() => 0);
  measuring = false;
  start(tenant: number): void {
    if (this.measuring) this.counts[tenant]! += 1;
  }
  shares(): number[] {
    const total = this.counts.reduce((a, b) => a + b, 0);
    return this.counts.map((c) => c / total);
  }
}

async function measure(shares: Shares, durationMs: number): Promise<number[]> {
  await sleep(WARMUP_MS);
  shares.measuring = true;
  await sleep(durationMs);
  shares.measuring = false;
  return shares.shares();
}

async function turbineRound(ctx: BenchContext, backlog: number, durationMs: number): Promise<number[]> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    const tenants = WEIGHTS.map((weight, i) => ({ id: `w${i}`, weight }));
    for (const { id, weight } of tenants) await side.createTenants([id], { weight });
    const shares = new Shares();
    const work = side.app.task({ name: 'work', queue: 'work' }, async (tenant: number) => {
      shares.start(tenant);
      await sleep(HANDLER_MS);
    });
    await inBatches(backlog * WEIGHTS.length, BATCH, async (from, count) => {
      const items = Array.from({ length: count }, (_, k) => {
        const tenant = (from + k) % WEIGHTS.length;
        return { args: [tenant] as [number], tenantId: tenants[tenant]!.id };
      });
      return (await work.applyBulk(items)).filter((r) => r.ok).length;
    });
    await side.startWorker(CONCURRENCY);
    return await measure(shares, durationMs);
  } finally {
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, backlog: number, durationMs: number): Promise<number[]> {
  const side = new PeerSide(ctx.redis.url);
  try {
    const shares = new Shares();
    await inBatches(backlog * WEIGHTS.length, BATCH, async (from, count) => {
      const jobs = Array.from({ length: count }, (_, k) => {
        const tenant = (from + k) % WEIGHTS.length;
        return { name: 'work', data: { tenant_id: `w${tenant}`, args: [tenant] }, opts: PEER_JOB_OPTIONS };
      });
      return (await side.queue.addBulk(jobs)).length;
    });
    const worker = await side.worker(CONCURRENCY, async (job) => {
      shares.start((job.data.args as number[])[0]!);
      await sleep(HANDLER_MS);
    });
    void worker.run();
    return await measure(shares, durationMs);
  } finally {
    await side.close();
  }
}

export const weights: Benchmark = {
  name: 'weights',
  async run(ctx) {
    const durationMs = ctx.quick ? 5000 : 15_000;
    // More than the heaviest tenant can start in the run, even at BullMQ's best rate here.
    const backlog = ctx.quick ? 25_000 : 60_000;
    const sum = WEIGHTS.reduce((a, b) => a + b, 0);
    const bench = `9. Weights ${WEIGHTS.join(':')}: 3 backlogged tenants, ${HANDLER_MS} ms tasks, c=${CONCURRENCY}, ${durationMs / 1000} s`;
    const rows: MetricResult[] = WEIGHTS.map((weight) => ({
      bench,
      metric: `share of weight ${weight} (expected ${((weight / sum) * 100).toFixed(1)} %)`,
      turbine: [],
      peer: [],
    }));
    const gap: MetricResult = { bench, metric: 'largest gap from the weight share (% of it)', turbine: [], peer: [], target: { kind: 'max', value: 5 } };
    for (let round = 0; round < ctx.rounds; round++) {
      const r = await alternate(ctx, round, () => turbineRound(ctx, backlog, durationMs), () => peerRound(ctx, backlog, durationMs));
      const gapOf = (shares: number[]): number => Math.max(...WEIGHTS.map((w, i) => (Math.abs(shares[i]! - w / sum) / (w / sum)) * 100));
      WEIGHTS.forEach((_, i) => {
        rows[i]!.turbine.push(r.turbine[i]! * 100);
        rows[i]!.peer!.push(r.peer[i]! * 100);
      });
      gap.turbine.push(gapOf(r.turbine));
      gap.peer!.push(gapOf(r.peer));
      ctx.log(`weights round ${round + 1}: turbine ${r.turbine.map((s) => (s * 100).toFixed(1)).join('/')} %, peer ${r.peer.map((s) => (s * 100).toFixed(1)).join('/')} %`);
    }
    return [...rows, gap];
  },
};
