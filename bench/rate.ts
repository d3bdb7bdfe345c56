import { fetchTimes, mostInWindow, readProbeEvents, type ProbeEvent } from '../test/helpers/probe.js';
import { collectRounds, waitForCard, type BenchContext, type Benchmark, type FigureRow } from './lib/bench.js';
import { peerProbeSubmitter, turbineProbeSubmitter, type ProbeTask } from './lib/probe-workload.js';
import { startPeerWorker, startProbeWorkers, type Child } from './lib/processes.js';
import { PeerSide, TurbineSide } from './lib/world.js';

/**
 * 11. Rate limit across processes: 3 real `turbine-worker` processes × concurrency 20 run a
 * tenant limited to 50 tasks per second (burst: one second's worth, 50) beside an unlimited
 * tenant, both submitted at once (5 ms tasks, test/fixtures/probe-app.mjs records each run).
 * Figures, on the times the limited tenant's tasks were fetched (BullMQ's `processedOn`: a
 * handler's own stamp can lag its fetch by tens of ms on a busy machine): its started tasks per
 * second after its burst (within ±5 % of 50),
 * the most of its starts in any 1 s window (never more than limit + burst = 100), and the
 * unlimited tenant's tasks per second, beside the same tasks run alone on the same workers
 * afterwards (its throughput should not depend on the limited tenant), after 500 of its tasks
 * have warmed the workers up. The peer is 3 plain BullMQ worker processes with
 * BullMQ's own limiter (`limiter: { max: 50, duration: 1000 }`), which has no groups: it
 * limits the whole queue, so the other tenant's tasks count against the same 50 per second.
 */
const WORKERS = 3;
const CONCURRENCY = 20;
const LIMIT = 50;
const BURST = LIMIT;
const HANDLER_MS = 5;

interface Figures {
  /** The limited tenant's starts per second after its first `BURST`. */
  limitedRate: number;
  /** Its distance from LIMIT, in % of it. */
  deviation: number;
  /** The most of its starts in any 1 s window. */
  maxPerSecond: number;
  /** The other tenant's tasks per second beside the limited one. */
  otherRate: number;
  /** The same, with the other tenant's tasks alone. */
  otherAloneRate: number;
}

function figures(starts: readonly number[], events: ProbeEvent[]): Figures {
  const limitedRate = (starts.length - BURST) / ((starts.at(-1)! - starts[0]!) / 1000);
  return {
    limitedRate,
    deviation: (Math.abs(limitedRate - LIMIT) / LIMIT) * 100,
    maxPerSecond: mostInWindow(starts, 1000),
    otherRate: rateOf(events.filter((e) => e.id.startsWith('o-'))),
    otherAloneRate: rateOf(events.filter((e) => e.id.startsWith('a-'))),
  };
}

/** Tasks ended per second, from the first start to the last end of `events`. */
function rateOf(events: ProbeEvent[]): number {
  const times = events.map((e) => e.at);
  return events.filter((e) => e.kind === 'E').length / ((Math.max(...times) - Math.min(...times)) / 1000);
}

/**
 * Tasks of the unlimited tenant run before anything is measured, so that the first phase does
 * not also carry the worker processes' warm-up (their first tasks run cold).
 */
const WARMUP = 500;

function warmupWorkload(): ProbeTask[] {
  return Array.from({ length: WARMUP }, (_, i) => ({ tenant: 'other', id: `w-${i}`, ms: HANDLER_MS }));
}

/** The other tenant's tasks again, alone: ids `a-<n>`. */
function aloneWorkload(other: number): ProbeTask[] {
  return Array.from({ length: other }, (_, i) => ({ tenant: 'other', id: `a-${i}`, ms: HANDLER_MS }));
}

/** Both tenants' tasks, interleaved so that neither is submitted first. */
function workload(limited: number, other: number): ProbeTask[] {
  const items: ProbeTask[] = [];
  const ratio = other / limited;
  let o = 0;
  for (let l = 0; l < limited; l++) {
    items.push({ tenant: 'limited', id: `l-${l}`, ms: HANDLER_MS });
    for (; o < Math.round((l + 1) * ratio); o++) items.push({ tenant: 'other', id: `o-${o}`, ms: HANDLER_MS });
  }
  return items;
}

async function turbineRound(ctx: BenchContext, limited: number, other: number): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url);
  const children: Child[] = [];
  try {
    await side.createTenants(['limited'], { maxTasksPerSecond: LIMIT });
    await side.createTenants(['other']);
    children.push(...(await startProbeWorkers(ctx.redis.url, side.prefix, WORKERS, CONCURRENCY)));
    const submit = turbineProbeSubmitter(side);
    await submit(warmupWorkload());
    await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:completed`, WARMUP, 600_000);
    await submit(workload(limited, other));
    await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:completed`, WARMUP + limited + other, 600_000);
    await submit(aloneWorkload(other));
    await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:completed`, WARMUP + limited + 2 * other, 600_000);
    const starts = await fetchTimes(ctx.redis.raw, `${side.prefix}:q:work`, 'limited');
    return figures(starts, await readProbeEvents(ctx.redis.raw, side.prefix));
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, limited: number, other: number): Promise<Figures> {
  const side = new PeerSide(ctx.redis.url);
  const children: Child[] = [];
  try {
    const start = (): Promise<Child> =>
      startPeerWorker({ url: ctx.redis.url, prefix: side.prefix, concurrency: CONCURRENCY, limiter: { max: LIMIT, duration: 1000 } });
    children.push(...(await Promise.all(Array.from({ length: WORKERS }, start))));
    const submit = peerProbeSubmitter(() => side.queue);
    await submit(warmupWorkload());
    await waitForCard(ctx.redis.raw, `${side.prefix}:work:completed`, WARMUP, 600_000);
    await submit(workload(limited, other));
    await waitForCard(ctx.redis.raw, `${side.prefix}:work:completed`, WARMUP + limited + other, 600_000);
    await submit(aloneWorkload(other));
    await waitForCard(ctx.redis.raw, `${side.prefix}:work:completed`, WARMUP + limited + 2 * other, 600_000);
    const starts = await fetchTimes(ctx.redis.raw, `${side.prefix}:work`, 'limited');
    return figures(starts, await readProbeEvents(ctx.redis.raw, side.prefix));
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await side.close();
  }
}

export const rate: Benchmark = {
  name: 'rate',
  async run(ctx) {
    // 3 000 limited tasks take a minute at 50 per second; --quick runs a fifth of it.
    const limited = ctx.quick ? 600 : 3000;
    const other = ctx.quick ? 3000 : 15_000;
    const bench = `11. Rate limit: ${WORKERS} processes × c=${CONCURRENCY}, ${limited} tasks at ${LIMIT}/s beside ${other} unlimited, ${HANDLER_MS} ms tasks`;
    const rows: FigureRow<Figures>[] = [
      ['limitedRate', { bench, metric: `limited tenant: started/s after its burst (limit ${LIMIT})`, turbine: [], peer: [] }],
      ['deviation', { bench, metric: 'limited tenant: distance from the limit (%)', turbine: [], peer: [], target: { kind: 'max', value: 5 } }],
      ['maxPerSecond', { bench, metric: `limited tenant: most starts in any 1 s (limit + burst = ${LIMIT + BURST})`, turbine: [], peer: [], target: { kind: 'max', value: LIMIT + BURST } }],
      ['otherRate', { bench, metric: 'unlimited tenant: tasks/s beside the limited one', turbine: [], peer: [] }],
      ['otherAloneRate', { bench, metric: 'unlimited tenant: tasks/s alone (same workers, afterwards)', turbine: [], peer: [] }],
    ];
    const sides = { turbine: () => turbineRound(ctx, limited, other), peer: () => peerRound(ctx, limited, other) };
    return collectRounds(ctx, rows, sides, (r, round) =>
      ctx.log(`rate round ${round + 1}: turbine ${JSON.stringify(r.turbine)}, peer ${JSON.stringify(r.peer)}`),
    );
  },
};
