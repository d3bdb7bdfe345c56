import { alternate, inBatches, type BenchContext, type Benchmark } from './lib/bench.js';
import type { MetricResult } from './lib/report.js';
import { sleep } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 9. Weights: three tenants of weight 1, 2 and 4, each with a backlog that outlasts the run,
 * share a queue (5 ms tasks, c=50). Figure: each tenant's share of the tasks started in the
 * measured interval (after a warm-up), beside its weight's share (1/7, 2/7, 4/7), and the
 * largest relative gap. Plain BullMQ has no weights: the same backlogs run in submission order.
 * Each tenant's backlog is proportional to its weight, so that none runs dry during the run.
 */
const CONCURRENCY = 50;
const HANDLER_MS = 5;
const WEIGHTS = [1, 2, 4] as const;
const BATCH = 1000;
const WARMUP_MS = 1000;

/**
 * The tenants' backlogs: `perWeight` × the tenant's weight each, so that every tenant still has
 * tasks waiting at the end however fast the run goes (a tenant that runs dry takes less than its
 * share, and the others more), submitted interleaved. Tenant indexes, in submission order.
 */
function backlogOrder(perWeight: number): number[] {
  const order: number[] = [];
  for (let k = 0; k < perWeight * Math.max(...WEIGHTS); k++) {
    WEIGHTS.forEach((weight, tenant) => {
      if (k < perWeight * weight) order.push(tenant);
    });
  }
  return order;
}

/** Started tasks per tenant (by index) within the measured interval, and in all. */
class Shares {
  private readonly counts = WEIGHTS.map(() => 0);
  private readonly started = WEIGHTS.map(() => 0);
  measuring = false;
  constructor(private readonly submitted: readonly number[]) {}
  start(tenant: number): void {
    this.started[tenant]! += 1;
    if (this.measuring) this.counts[tenant]! += 1;
  }
  shares(): number[] {
    const total = this.counts.reduce((a, b) => a + b, 0);
    return this.counts.map((c) => c / total);
  }
  /** Throws if a tenant had no task left to start before the measurement ended. */
  assertBacklogged(): void {
    WEIGHTS.forEach((weight, tenant) => {
      if (this.started[tenant]! >= this.submitted[tenant]!) {
        throw new Error(`the backlog of the tenant of weight ${weight} ran out during the measurement: raise the backlog`);
      }
    });
  }
}

/** Shares of the starts in the measured interval. `backlogged`: check that no tenant ran dry (Turbine's side; BullMQ's FIFO runs the lightest tenant's smaller backlog out, which is part of what it shows). */
async function measure(shares: Shares, durationMs: number, backlogged: boolean): Promise<number[]> {
  await sleep(WARMUP_MS);
  shares.measuring = true;
  await sleep(durationMs);
  shares.measuring = false;
  if (backlogged) shares.assertBacklogged();
  return shares.shares();
}

const submittedPerTenant = (order: readonly number[]): number[] => WEIGHTS.map((_, tenant) => order.filter((t) => t === tenant).length);

async function turbineRound(ctx: BenchContext, order: readonly number[], durationMs: number): Promise<number[]> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    const tenants = WEIGHTS.map((weight, i) => ({ id: `w${i}`, weight }));
    for (const { id, weight } of tenants) await side.createTenants([id], { weight });
    const shares = new Shares(submittedPerTenant(order));
    const work = side.app.task({ name: 'work', queue: 'work' }, async (tenant: number) => {
      shares.start(tenant);
      await sleep(HANDLER_MS);
    });
    await inBatches(order.length, BATCH, async (from, count) => {
      const items = order.slice(from, from + count).map((tenant) => ({ args: [tenant] as [number], tenantId: tenants[tenant]!.id }));
      return (await work.applyBulk(items)).filter((r) => r.ok).length;
    });
    await side.startWorker(CONCURRENCY);
    return await measure(shares, durationMs, true);
  } finally {
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, order: readonly number[], durationMs: number): Promise<number[]> {
  const side = new PeerSide(ctx.redis.url);
  try {
    const shares = new Shares(submittedPerTenant(order));
    await inBatches(order.length, BATCH, async (from, count) => {
      const jobs = order.slice(from, from + count).map((tenant) => ({
        name: 'work',
        data: { tenant_id: `w${tenant}`, args: [tenant] },
        opts: PEER_JOB_OPTIONS,
      }));
      return (await side.queue.addBulk(jobs)).length;
    });
    const worker = await side.worker(CONCURRENCY, async (job) => {
      shares.start((job.data.args as number[])[0]!);
      await sleep(HANDLER_MS);
    });
    void worker.run();
    return await measure(shares, durationMs, false);
  } finally {
    await side.close();
  }
}

export const weights: Benchmark = {
  name: 'weights',
  async run(ctx) {
    const durationMs = ctx.quick ? 5000 : 15_000;
    // Per unit of weight: more than a tenant can start in the run at the workers' ceiling
    // (c=50 tasks of 5 ms: 10 000/s), checked by Shares.assertBacklogged.
    const order = backlogOrder(ctx.quick ? 10_000 : 25_000);
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
      const r = await alternate(ctx, round, () => turbineRound(ctx, order, durationMs), () => peerRound(ctx, order, durationMs));
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
