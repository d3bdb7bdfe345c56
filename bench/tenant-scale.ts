import { Progress, alternate, inBatches, tenantIds, waitForCard, type BenchContext, type Benchmark } from './lib/bench.js';
import type { MetricResult } from './lib/report.js';
import { spread } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';
import type { TenantQuotas } from 'turbine-tasks';

/**
 * 10. Cost at tenant scale: the no-op throughput (c=50) with the tasks spread over 10 active
 * tenants, over 10 000 active tenants, over 10 000 tenants each capped at 2 (room for all their
 * tasks: nothing is held back), and over 10 active tenants beside 100 000 idle ones, where the
 * reconciler's pass is timed too. Plain BullMQ runs the same tasks (it has no tenants: one
 * figure for every row).
 */
const CONCURRENCY = 50;
const BATCH = 1000;
const IDLE_TENANTS = 100_000;

interface Setup {
  active: number;
  quotas: TenantQuotas;
  idle: number;
}

interface Figures {
  rate: number;
  /** Longest reconciler pass seen during the run (ms), NaN when none ran. */
  passMs: number;
}

async function turbineRound(ctx: BenchContext, total: number, setup: Setup): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    const tenants = tenantIds(setup.active);
    await side.createTenants(tenants, setup.quotas);
    await side.createTenants(tenantIds(setup.idle, 'idle'));
    const noop = side.app.task({ name: 'noop', queue: 'work' }, async () => null);
    await inBatches(total, BATCH, async (from, count) => {
      const items = Array.from({ length: count }, (_, i) => ({ args: [] as [], tenantId: tenants[(from + i) % tenants.length]! }));
      return (await noop.applyBulk(items)).filter((r) => r.ok).length;
    });
    const progress = new Progress(total);
    const passes: number[] = [];
    await side.startWorker(CONCURRENCY, (worker) => {
      worker.on('task:started', () => progress.started());
      worker.on('task:finished', () => progress.finished());
      worker.on('reconciler:pass', (pass) => passes.push(pass.durationMs));
    });
    await progress.wait(300_000, 'turbine tenant-scale throughput');
    const end = await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:completed`, total);
    return { rate: total / ((end - progress.firstStart) / 1000), passMs: passes.length ? Math.max(...passes) : Number.NaN };
  } finally {
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, total: number, active: number): Promise<Figures> {
  const side = new PeerSide(ctx.redis.url);
  try {
    const tenants = tenantIds(active);
    await inBatches(total, BATCH, async (from, count) => {
      const jobs = Array.from({ length: count }, (_, i) => ({
        name: 'noop',
        data: { tenant_id: tenants[(from + i) % active]!, args: [] },
        opts: PEER_JOB_OPTIONS,
      }));
      return (await side.queue.addBulk(jobs)).length;
    });
    const progress = new Progress(total);
    const worker = await side.worker(CONCURRENCY, async () => null);
    worker.on('active', () => progress.started());
    worker.on('completed', () => progress.finished());
    void worker.run();
    await progress.wait(300_000, 'peer tenant-scale throughput');
    const end = await waitForCard(ctx.redis.raw, `${side.prefix}:work:completed`, total);
    return { rate: total / ((end - progress.firstStart) / 1000), passMs: Number.NaN };
  } finally {
    await side.close();
  }
}

const median = (values: readonly number[]): number => spread(values).median;

export const tenantScale: Benchmark = {
  name: 'tenant-scale',
  async run(ctx) {
    const total = ctx.quick ? 5000 : 20_000;
    const bench = (what: string): string => `10. Tenant scale: ${total} no-op tasks, c=${CONCURRENCY}, ${what}`;
    // In this order, each ratio's two setups run side by side (idle ÷ few, many ÷ few, capped ÷
    // many), and every other round runs them backwards: this shared machine's speed drifts
    // within a round, and a fixed order let the drift decide the idle tenants' 5 %.
    const setups: Record<'idle' | 'few' | 'many' | 'capped', Setup> = {
      idle: { active: 10, quotas: {}, idle: IDLE_TENANTS },
      few: { active: 10, quotas: {}, idle: 0 },
      many: { active: 10_000, quotas: {}, idle: 0 },
      capped: { active: 10_000, quotas: { maxConcurrentTasks: 2 }, idle: 0 },
    };
    const rate = Object.fromEntries(Object.keys(setups).map((k) => [k, [] as number[]])) as Record<keyof typeof setups, number[]>;
    const peer: number[] = [];
    const passes: number[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      const inOrder = Object.entries(setups) as [keyof typeof setups, Setup][];
      for (const [name, setup] of round % 2 === 0 ? inOrder : inOrder.reverse()) {
        const r = await alternate(
          ctx,
          round,
          () => turbineRound(ctx, total, setup),
          async () => (name === 'few' ? peerRound(ctx, total, setup.active) : { rate: Number.NaN, passMs: Number.NaN }),
        );
        rate[name].push(r.turbine.rate);
        if (name === 'few') peer.push(r.peer.rate);
        if (name === 'idle') passes.push(r.turbine.passMs);
        ctx.log(`tenant-scale ${name} round ${round + 1}: turbine ${r.turbine.rate.toFixed(0)}/s${name === 'few' ? `, peer ${r.peer.rate.toFixed(0)}/s` : ''}`);
      }
    }
    const ratio = (a: number[], b: number[]): number[] => a.map((v, i) => v / (b[i] ?? Number.NaN));
    const rows: MetricResult[] = [
      { bench: bench('10 active tenants'), metric: 'tasks/s', turbine: rate.few, peer },
      { bench: bench('10 000 active tenants'), metric: 'tasks/s', turbine: rate.many, peer },
      { bench: bench('10 000 active tenants'), metric: 'Turbine rate ÷ its rate with 10 tenants', turbine: ratio(rate.many, rate.few), peer: null, target: { kind: 'min', value: 0.85 } },
      { bench: bench('10 000 tenants capped at 2 (room)'), metric: 'tasks/s', turbine: rate.capped, peer },
      { bench: bench('10 000 tenants capped at 2 (room)'), metric: 'Turbine rate ÷ uncapped 10 000', turbine: ratio(rate.capped, rate.many), peer: null, target: { kind: 'min', value: 0.85 } },
      { bench: bench(`10 active + ${IDLE_TENANTS.toLocaleString('en-US')} idle tenants`), metric: 'cost per task ÷ without idle tenants', turbine: ratio(rate.few, rate.idle), peer: null, target: { kind: 'max', value: 1.05 } },
      { bench: bench(`10 active + ${IDLE_TENANTS.toLocaleString('en-US')} idle tenants`), metric: 'longest reconciler pass (ms)', turbine: passes, peer: null, target: { kind: 'max', value: 50 } },
    ];
    ctx.log(`tenant-scale medians: few ${median(rate.few).toFixed(0)}/s, many ${median(rate.many).toFixed(0)}/s, capped ${median(rate.capped).toFixed(0)}/s, idle ${median(rate.idle).toFixed(0)}/s`);
    return rows;
  },
};
