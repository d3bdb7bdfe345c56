import path from 'node:path';
import { DEFAULT_RETENTION } from '../src/tasks/retention.js';
import { collectRounds, tenantIds, type BenchContext, type Benchmark, type FigureRow } from './lib/bench.js';
import { FIXTURES, TurbineWorkerProcess, startPeerWorker, type Child } from './lib/processes.js';
import { sleep, spread } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 10. Soak: a worker process (concurrency 50) runs no-op tasks of 100 tenants at full rate for
 * `--soak-seconds` (10 minutes by default), while this process keeps its queue fed (batches of
 * 1 000 whenever fewer than BACKLOG wait). With the default retention Redis memory must stay
 * under the bound docs/deployment.md gives for this workload, and the worker's RSS must stay
 * flat after the warm-up. The peer is a plain BullMQ worker process with
 * `removeOnComplete: { count }` of the same count.
 */
const TENANTS = 100;
const CONCURRENCY = 50;
const BATCH = 1000;
const BACKLOG = 3000;
const SAMPLE_MS = 5000;
/**
 * Bytes per task in docs/deployment.md (rounded up from bench 9): a completed task with its
 * stored result (the larger index encoding, an upper bound: each tenant's index holds about 100
 * entries here, counting those not pruned yet), a waiting task, a running one, an event stream
 * entry (BullMQ keeps about 10 000 per queue), and the stored-result entry of a task BullMQ's
 * retention removed, which stays until its index's next prune: at the reconciler's next pass
 * (every 5 s by default) or the tenant's next 64th success in the hour, whichever comes first
 * (bench 9 measures 142 bytes: a sorted-set entry of the larger encoding with a 36-character
 * job id).
 */
const COMPLETED_BYTES = 1560;
const WAITING_BYTES = 1050;
const RUNNING_BYTES = 1600;
const EVENT_BYTES = 95;
const EVENTS_KEPT = 10_000;
const STALE_ENTRY_BYTES = 145;
const RECONCILER_INTERVAL_S = 5;
/** A tenant's index of a queue is pruned at about every 64th success there too (storedResults.lua). */
const PRUNE_EVERY = 64;
/** What this workload may hold above the empty Redis it starts from, at `rate` tasks/s. */
const boundAboveStart = (rate: number): number =>
  DEFAULT_RETENTION.keepCompletedCount * COMPLETED_BYTES +
  (BACKLOG + BATCH) * WAITING_BYTES +
  CONCURRENCY * RUNNING_BYTES +
  EVENTS_KEPT * EVENT_BYTES +
  Math.min(rate * RECONCILER_INTERVAL_S, TENANTS * PRUNE_EVERY) * STALE_ENTRY_BYTES;

interface Figures {
  rate: number;
  completed: number;
  startMb: number;
  maxMb: number;
  boundMb: number;
  rssWarmMb: number;
  rssPeakMb: number;
  rssGrowthMb: number;
  bytesPerTask: number;
}

const MB = 2 ** 20;
const median = (values: readonly number[]): number => spread(values).median;

/**
 * Feeds the queue and samples memory until the duration is over. `backlog` reads how many
 * tasks wait, `submit` adds a batch, `done` reads how many have finished so far.
 */
async function soakRun(
  ctx: BenchContext,
  worker: Child,
  io: { backlog: () => Promise<number>; submit: (from: number) => Promise<void>; done: () => Promise<number> },
  side: string,
): Promise<Figures> {
  const start = await ctx.redis.usedMemory();
  const warmUpMs = Math.min(60_000, (ctx.soakSeconds * 1000) / 4);
  const began = Date.now();
  const end = began + ctx.soakSeconds * 1000;
  let submitted = 0;
  let nextSample = began + SAMPLE_MS;
  let maxUsed = start;
  const rssAfterWarmUp: number[] = [];
  while (Date.now() < end) {
    if ((await io.backlog()) < BACKLOG) {
      await io.submit(submitted);
      submitted += BATCH;
    } else {
      await sleep(5);
    }
    if (Date.now() >= nextSample) {
      nextSample += SAMPLE_MS;
      const used = await ctx.redis.usedMemory();
      const rss = worker.rss();
      const warm = Date.now() - began >= warmUpMs;
      maxUsed = Math.max(maxUsed, used);
      if (warm) rssAfterWarmUp.push(rss);
      ctx.log(`soak ${side} ${Math.round((Date.now() - began) / 1000)} s: ${await io.done()} done, Redis ${(used / MB).toFixed(1)} MB, worker RSS ${(rss / MB).toFixed(0)} MB`);
    }
  }
  const completed = await io.done();
  const elapsed = (Date.now() - began) / 1000;
  const used = await ctx.redis.usedMemory();
  maxUsed = Math.max(maxUsed, used);
  rssAfterWarmUp.push(worker.rss());
  // Flat means the last samples sit where the first ones after warm-up did: medians of each
  // third, so that one garbage collection's peak is not taken for growth.
  const third = Math.max(1, Math.floor(rssAfterWarmUp.length / 3));
  const rssWarm = median(rssAfterWarmUp.slice(0, third));
  const rssEnd = median(rssAfterWarmUp.slice(-third));
  const rate = completed / elapsed;
  return {
    rate,
    completed,
    startMb: start / MB,
    maxMb: maxUsed / MB,
    boundMb: (start + boundAboveStart(rate)) / MB,
    rssWarmMb: rssWarm / MB,
    rssPeakMb: Math.max(...rssAfterWarmUp) / MB,
    rssGrowthMb: (rssEnd - rssWarm) / MB,
    bytesPerTask: (used - start) / completed,
  };
}

async function turbineRound(ctx: BenchContext): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url, undefined, 1, 'default');
  let worker: Child | null = null;
  try {
    const tenants = tenantIds(TENANTS);
    await side.createTenants(tenants);
    const noop = side.app.task({ name: 'noop', queue: 'work', retries: 0 }, async (id: string) => ({ ok: true, id }));
    worker = await TurbineWorkerProcess.start({
      url: ctx.redis.url,
      prefix: side.prefix,
      app: path.join(FIXTURES, 'soak-app.mjs'),
      args: ['--concurrency', String(CONCURRENCY)],
    });
    const raw = ctx.redis.raw;
    const wait = `${side.prefix}:q:work:wait`;
    const active = `${side.prefix}:q:work:active`;
    let accepted = 0;
    // Tasks not started yet: in the wait list, or held back (with 100 busy tenants each one's
    // window is about 1, so most of a backlog is held).
    const backlog = async (): Promise<number> => {
      const pipeline = raw.pipeline().llen(wait);
      for (const t of tenants) pipeline.llen(side.app.keys.held(t, 'work'));
      return ((await pipeline.exec()) ?? []).reduce((sum, [, n]) => sum + Number(n), 0);
    };
    return await soakRun(
      ctx,
      worker,
      {
        backlog,
        submit: async (from) => {
          const items = Array.from({ length: BATCH }, (_, i) => ({ args: [`t-${from + i}`] as [string], tenantId: tenants[(from + i) % TENANTS]! }));
          accepted += (await noop.applyBulk(items)).filter((r) => r.ok).length;
        },
        done: async () => accepted - (await backlog()) - (await raw.llen(active)),
      },
      'turbine',
    );
  } finally {
    await worker?.stop();
    await side.close();
  }
}

async function peerRound(ctx: BenchContext): Promise<Figures> {
  const side = new PeerSide(ctx.redis.url);
  let worker: Child | null = null;
  try {
    worker = await startPeerWorker({ url: ctx.redis.url, prefix: side.prefix, concurrency: CONCURRENCY, script: 'bullmq-soak-worker.mjs' });
    const raw = ctx.redis.raw;
    const wait = `${side.prefix}:work:wait`;
    const active = `${side.prefix}:work:active`;
    // The default retention, as Turbine's side keeps it.
    const opts = {
      ...PEER_JOB_OPTIONS,
      attempts: 1,
      removeOnComplete: { age: DEFAULT_RETENTION.keepCompletedSeconds, count: DEFAULT_RETENTION.keepCompletedCount },
      removeOnFail: { age: DEFAULT_RETENTION.keepFailedSeconds, count: DEFAULT_RETENTION.keepFailedCount },
    };
    let added = 0;
    return await soakRun(
      ctx,
      worker,
      {
        backlog: () => raw.llen(wait),
        submit: async (from) => {
          const jobs = Array.from({ length: BATCH }, (_, i) => ({
            name: 'noop',
            data: { tenant_id: `tenant-${(from + i) % TENANTS}`, args: [`t-${from + i}`] },
            opts,
          }));
          added += (await side.queue.addBulk(jobs)).length;
        },
        done: async () => added - (await raw.llen(wait)) - (await raw.llen(active)),
      },
      'peer',
    );
  } finally {
    await worker?.stop();
    await side.close();
  }
}

export const soak: Benchmark = {
  name: 'soak',
  async run(ctx) {
    const bench = `10. Soak: ${ctx.soakSeconds} s at full rate, ${TENANTS} tenants, default retention (peer: removeOnComplete count)`;
    const row = (metric: string, target?: FigureRow<Figures>[1]['target']): FigureRow<Figures>[1] => ({ bench, metric, turbine: [], peer: [], target });
    const rows: FigureRow<Figures>[] = [
      ['rate', row('tasks/s')],
      ['completed', row('tasks completed')],
      ['startMb', row('Redis used memory at start (MB)')],
      ['maxMb', row('Redis used memory, peak (MB)')],
      ['boundMb', row('documented bound for this workload (MB)')],
      ['bytesPerTask', row('retained Redis bytes per task (end − start) / completed')],
      ['rssWarmMb', row('worker RSS after warm-up (MB)')],
      ['rssPeakMb', row('worker RSS peak after warm-up (MB)')],
      ['rssGrowthMb', row('worker RSS growth: last third − first third after warm-up (MB)', { kind: 'max', value: 10 })],
    ];
    // One round whatever --rounds says: a round is the whole duration.
    const results = await collectRounds({ ...ctx, rounds: 1 }, rows, { turbine: () => turbineRound(ctx), peer: () => peerRound(ctx) }, (r) =>
      ctx.log(`soak: turbine ${JSON.stringify(r.turbine)}, peer ${JSON.stringify(r.peer)}`),
    );
    // The peak must stay under the bound measured for this run's starting point.
    const peak = results.find((r) => r.metric.startsWith('Redis used memory, peak'))!;
    const bound = results.find((r) => r.metric.startsWith('documented bound'))!;
    peak.target = { kind: 'max', value: Math.round(bound.turbine[0]! * 10) / 10 };
    return results;
  },
};
