import type { ProbeEvent } from '../test/helpers/probe.js';
import { collectRounds, tenantIds, type BenchContext, type Benchmark, type FigureRow } from './lib/bench.js';
import { ProbeTail } from './lib/probe-tail.js';
import { peerProbeSubmitter, turbineProbeSubmitter, type ProbeTask } from './lib/probe-workload.js';
import { startPeerWorker, startProbeWorkers, type Child } from './lib/processes.js';
import { percentile, sleep } from './lib/stats.js';
import { PeerSide, TurbineSide } from './lib/world.js';

/**
 * 16. Dedicated worker pools, as a platform team runs them: 2 premium tenants (pool `premium`)
 * with a `turbine-worker --pool premium` process of their own, beside 4 tenants of the shared
 * pool and a shared `turbine-worker` (both concurrency 20, test/fixtures/probe-app.mjs records
 * each run with its pid). The premium tenants submit a steady stream (5 ms tasks, 5 every 25 ms)
 * and then a backlog of short tasks, first with the shared pool idle, then while a flood of the
 * shared tenants' tasks keeps the shared worker busy. Figures: the stream's p99 wait (submission
 * to handler start) and the backlog's tasks/s, idle and flooded; tasks started in a process of
 * another pool; and what pooled dispatch costs: the same backlog of shared tenants on the shared
 * worker (pool idle), tasks/s and redis-server CPU per task beside the premium one.
 *
 * The peer is what BullMQ users do for this: a queue per pool (`premium` beside `work`), each
 * consumed by a plain BullMQ worker process of its own, the producer choosing the queue by tenant.
 * Both sides share the machine's cores with the flood: what the flooded figures lose to it is
 * CPU, not dispatch.
 */
const CONCURRENCY = 20;
const PREMIUM = tenantIds(2, 'premium');
const SHARED = tenantIds(4, 'shared');
const STREAM_BATCH = 5;
const STREAM_EVERY_MS = 25;
const STREAM_MS = 5;
const FLOOD_MS = 5;
/** Flood tasks finished before the premium tasks come, so that they meet a shared worker running flat out. */
const FLOOD_WARMUP = 5 * CONCURRENCY;
/** Short tasks of every tenant run before anything is measured. */
const WARMUP = 600;
const TIMEOUT_MS = 300_000;

interface Sizes {
  stream: number;
  backlog: number;
  flood: number;
}

interface Figures {
  idleWait: number;
  floodedWait: number;
  waitFloodedOverIdle: number;
  idleRate: number;
  floodedRate: number;
  rateFloodedOverIdle: number;
  sharedRate: number;
  pooledOverShared: number;
  premiumCpuUs: number;
  sharedCpuUs: number;
  misplaced: number;
}

/** What a round needs of a side: its submission, and its probe events. */
interface Pools {
  submit: (tasks: readonly ProbeTask[]) => Promise<void>;
  tail: ProbeTail;
}

const tasksOf = (tag: string, tenants: readonly string[], count: number, ms: number, from = 0): ProbeTask[] =>
  Array.from({ length: count }, (_, i) => ({ tenant: tenants[(from + i) % tenants.length]!, id: `${tag}:${from + i}`, ms }));

/** The premium stream, paced; its p99 wait from the submission call to the handler's start. */
async function stream(pools: Pools, tag: string, total: number): Promise<number> {
  const submittedAt = new Map<string, number>();
  const start = Date.now();
  for (let from = 0, batch = 0; from < total; from += STREAM_BATCH, batch += 1) {
    // On schedule, not 25 ms after the last call: a slow submission is caught up, not spread out.
    await sleep(start + batch * STREAM_EVERY_MS - Date.now());
    const tasks = tasksOf(tag, PREMIUM, Math.min(STREAM_BATCH, total - from), STREAM_MS, from);
    // Date.now() as the probe app stamps its starts, in another process on the same clock.
    const at = Date.now();
    await pools.submit(tasks);
    for (const t of tasks) submittedAt.set(t.id, at);
  }
  const events = await pools.tail.waitFor(tag, total, TIMEOUT_MS);
  return percentile(
    events.filter((e) => e.kind === 'S').map((e) => e.at - submittedAt.get(e.id)!),
    99,
  );
}

/** A backlog of short tasks of `tenants`: tasks/s from its first start to its last end. */
async function backlog(ctx: BenchContext, pools: Pools, tag: string, tenants: readonly string[], total: number): Promise<{ rate: number; redisCpuUs: number }> {
  const cpu = await ctx.redis.cpuSeconds();
  await pools.submit(tasksOf(tag, tenants, total, 0));
  const events = await pools.tail.waitFor(tag, total, TIMEOUT_MS);
  const redisCpuUs = (((await ctx.redis.cpuSeconds()) - cpu) * 1e6) / total;
  return { rate: total / (span(events) / 1000), redisCpuUs };
}

const span = (events: readonly ProbeEvent[]): number =>
  events.reduce((max, e) => Math.max(max, e.at), -Infinity) - events.reduce((min, e) => Math.min(min, e.at), Infinity);

async function measure(ctx: BenchContext, pools: Pools, sizes: Sizes): Promise<Figures> {
  // Both workers warmed up first: a cold process would make the idle figures, measured first, the worse ones.
  await pools.submit(tasksOf('warmup', [...PREMIUM, ...SHARED], WARMUP, 0));
  await pools.tail.waitFor('warmup', WARMUP, TIMEOUT_MS);
  const idleWait = await stream(pools, 'idle-stream', sizes.stream);
  const idle = await backlog(ctx, pools, 'idle-premium', PREMIUM, sizes.backlog);
  const shared = await backlog(ctx, pools, 'idle-shared', SHARED, sizes.backlog);

  await pools.submit(tasksOf('flood', SHARED, sizes.flood, FLOOD_MS));
  await pools.tail.waitFor('flood', FLOOD_WARMUP, TIMEOUT_MS);
  const floodedWait = await stream(pools, 'flooded-stream', sizes.stream);
  const flooded = await backlog(ctx, pools, 'flooded-premium', PREMIUM, sizes.backlog);
  await pools.tail.poll();
  if (pools.tail.ended('flood') >= sizes.flood) {
    throw new Error(`the flood of ${sizes.flood} tasks ended before the premium tasks did: the flooded figures are not flooded; raise its size`);
  }
  return {
    idleWait,
    floodedWait,
    waitFloodedOverIdle: floodedWait / idleWait,
    idleRate: idle.rate,
    floodedRate: flooded.rate,
    rateFloodedOverIdle: flooded.rate / idle.rate,
    sharedRate: shared.rate,
    pooledOverShared: idle.rate / shared.rate,
    premiumCpuUs: idle.redisCpuUs,
    sharedCpuUs: shared.redisCpuUs,
    misplaced: pools.tail.misplaced,
  };
}

/** The pid each tenant's tasks may start in: its pool's worker. */
const poolPid = (premium: Child, shared: Child) => (tenantId: string): number => (PREMIUM.includes(tenantId) ? premium : shared).pid;

async function turbineRound(ctx: BenchContext, sizes: Sizes): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url);
  const children: Child[] = [];
  try {
    await side.createTenants(PREMIUM, {}, 'premium');
    await side.createTenants(SHARED);
    const [premium] = await startProbeWorkers(ctx.redis.url, side.prefix, 1, CONCURRENCY, ['--pool', 'premium']);
    children.push(premium!);
    const [shared] = await startProbeWorkers(ctx.redis.url, side.prefix, 1, CONCURRENCY);
    children.push(shared!);
    const tail = new ProbeTail(ctx.redis.raw, side.prefix, { expectedPid: poolPid(premium!, shared!), countOnly: ['flood'] });
    return await measure(ctx, { submit: turbineProbeSubmitter(side), tail }, sizes);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, sizes: Sizes): Promise<Figures> {
  const side = new PeerSide(ctx.redis.url);
  const premiumQueue = side.otherQueue('premium');
  const children: Child[] = [];
  try {
    const start = (queue: string): Promise<Child> => startPeerWorker({ url: ctx.redis.url, prefix: side.prefix, queue, concurrency: CONCURRENCY });
    const premium = await start('premium');
    children.push(premium);
    const shared = await start(side.queueName);
    children.push(shared);
    const tail = new ProbeTail(ctx.redis.raw, side.prefix, { expectedPid: poolPid(premium, shared), countOnly: ['flood'] });
    const submit = peerProbeSubmitter((tenant) => (PREMIUM.includes(tenant) ? premiumQueue : side.queue));
    return await measure(ctx, { submit, tail }, sizes);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await side.close();
  }
}

export const pools: Benchmark = {
  name: 'pools',
  async run(ctx) {
    // The flood must outlast the flooded phases: measure() fails when it ran out.
    const sizes: Sizes = ctx.quick ? { stream: 300, backlog: 2000, flood: 20_000 } : { stream: 3000, backlog: 10_000, flood: 200_000 };
    const bench = `16. Worker pools: ${PREMIUM.length} premium tenants (own worker) beside ${SHARED.length} shared ones, flood ${sizes.flood}, c=${CONCURRENCY}`;
    const row = (metric: string): FigureRow<Figures>[1] => ({ bench, metric, turbine: [], peer: [] });
    const rows: FigureRow<Figures>[] = [
      ['idleWait', row(`premium stream p99 wait, shared pool idle (ms; ${sizes.stream} tasks of ${STREAM_MS} ms, ${(STREAM_BATCH * 1000) / STREAM_EVERY_MS}/s)`)],
      ['floodedWait', row('premium stream p99 wait, shared pool flooded (ms)')],
      ['waitFloodedOverIdle', row('premium p99 wait, flooded ÷ idle')],
      ['idleRate', row(`premium backlog tasks/s, shared pool idle (${sizes.backlog} short tasks)`)],
      ['floodedRate', row('premium backlog tasks/s, shared pool flooded')],
      ['rateFloodedOverIdle', row('premium tasks/s, flooded ÷ idle')],
      ['sharedRate', row('the same backlog of shared tenants on the shared worker, tasks/s')],
      ['pooledOverShared', row('tasks/s, premium pool ÷ shared pool (cost of pooled dispatch)')],
      ['premiumCpuUs', row('redis-server CPU per task, premium backlog (µs)')],
      ['sharedCpuUs', row('redis-server CPU per task, shared backlog (µs)')],
      ['misplaced', { ...row("tasks started in another pool's worker"), target: { kind: 'equals', value: 0 } }],
    ];
    const sides = { turbine: () => turbineRound(ctx, sizes), peer: () => peerRound(ctx, sizes) };
    return collectRounds(ctx, rows, sides, (r, round) =>
      ctx.log(
        `pools round ${round + 1}: premium p99 idle/flooded turbine ${r.turbine.idleWait}/${r.turbine.floodedWait} ms, ` +
          `peer ${r.peer.idleWait}/${r.peer.floodedWait} ms; misplaced turbine ${r.turbine.misplaced}, peer ${r.peer.misplaced}`,
      ),
    );
  },
};
