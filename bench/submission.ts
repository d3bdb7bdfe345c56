import { alternate, inBatches, tenantIds, type BenchContext, type Benchmark } from './lib/bench.js';
import type { MetricResult } from './lib/report.js';
import { now } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 2. Submission rate with no worker running: `applyBulk` against `Queue.addBulk` in batches of
 * 1 000, and `applyAsync` against `Queue.add` with 100 calls in flight. 10 tenants, no quotas
 * (so most Turbine tasks are held back behind the dispatch window, as a backlog would be).
 */
const TENANTS = 10;
const BATCH = 1000;
const IN_FLIGHT = 100;

type Mode = 'bulk' | 'concurrent';
const tenantOf = (i: number): string => `tenant-${i % TENANTS}`;

/** Runs `submit(i)` for i in [0, total) with `inFlight` calls at a time. */
async function pool(total: number, inFlight: number, submit: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await submit(next++);
    }),
  );
}

async function turbineRound(ctx: BenchContext, mode: Mode, total: number): Promise<number> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    await side.createTenants(tenantIds(TENANTS));
    const noop = side.app.task({ name: 'noop', queue: 'work' }, async (_i: number) => null);
    await side.app.client();
    const started = now();
    if (mode === 'bulk') {
      await inBatches(total, BATCH, async (from, count) => {
        const items = Array.from({ length: count }, (_, i) => ({ args: [from + i] as [number], tenantId: tenantOf(from + i) }));
        return (await noop.applyBulk(items)).filter((r) => r.ok).length;
      });
    } else {
      await pool(total, IN_FLIGHT, async (i) => {
        await noop.applyAsync({ args: [i], tenantId: tenantOf(i) });
      });
    }
    return total / ((now() - started) / 1000);
  } finally {
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, mode: Mode, total: number): Promise<number> {
  const side = new PeerSide(ctx.redis.url);
  try {
    const data = (i: number): Record<string, unknown> => ({ tenant_id: tenantOf(i), args: [i] });
    await side.queue.waitUntilReady();
    const started = now();
    if (mode === 'bulk') {
      await inBatches(total, BATCH, async (from, count) => {
        const jobs = Array.from({ length: count }, (_, i) => ({ name: 'noop', data: data(from + i), opts: PEER_JOB_OPTIONS }));
        return (await side.queue.addBulk(jobs)).length;
      });
    } else {
      await pool(total, IN_FLIGHT, async (i) => {
        await side.queue.add('noop', data(i), PEER_JOB_OPTIONS);
      });
    }
    return total / ((now() - started) / 1000);
  } finally {
    await side.close();
  }
}

export const submission: Benchmark = {
  name: 'submission',
  async run(ctx) {
    const sizes: Record<Mode, number> = ctx.quick ? { bulk: 5000, concurrent: 2000 } : { bulk: 50_000, concurrent: 20_000 };
    const results: MetricResult[] = [
      {
        bench: `2a. Submission: applyBulk vs addBulk (${sizes.bulk}, batches of ${BATCH})`,
        metric: 'tasks/s',
        turbine: [],
        peer: [],
        target: { kind: 'ratio-min', value: 0.7 },
      },
      {
        bench: `2b. Submission: applyAsync vs add (${sizes.concurrent}, ${IN_FLIGHT} in flight)`,
        metric: 'tasks/s',
        turbine: [],
        peer: [],
        target: { kind: 'ratio-min', value: 0.6 },
      },
    ];
    for (let round = 0; round < ctx.rounds; round++) {
      for (const [i, mode] of (['bulk', 'concurrent'] as const).entries()) {
        const r = await alternate(ctx, round, () => turbineRound(ctx, mode, sizes[mode]), () => peerRound(ctx, mode, sizes[mode]));
        results[i]!.turbine.push(r.turbine);
        results[i]!.peer!.push(r.peer);
        ctx.log(`submission ${mode} round ${round + 1}: turbine ${r.turbine.toFixed(0)}/s, peer ${r.peer.toFixed(0)}/s`);
      }
    }
    return results;
  },
};
