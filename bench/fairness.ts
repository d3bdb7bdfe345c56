import { alternate, inBatches, tenantIds, type BenchContext, type Benchmark } from './lib/bench.js';
import type { MetricResult } from './lib/report.js';
import { now, percentile, sleep, withTimeout } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 8. Fairness at tenant scale: BUSY_TASKS tasks of 5 ms spread over B busy tenants (c=50) while
 * a quiet tenant submits one task every 100 ms. Figure: the quiet tasks' p99 wait, from
 * submission to the start of their handler, for B = 1 … 10 000, and for B = 100 when the busy
 * tenants' tasks are (a) delayed to come due together, (b) failing once and retried after a
 * backoff, (c) prioritized. Plain BullMQ runs the same workload (FIFO, its own delays,
 * retries and priorities).
 */
const CONCURRENCY = 50;
const HANDLER_MS = 5;
const QUIET_EVERY_MS = 100;
const BATCH = 1000;
/** Busy tasks finished before probing starts, so that probes land in a worker running flat out. */
const WARMUP = 2 * CONCURRENCY;
/** Delayed mode: the busy tasks come due together this long after the last one is submitted. */
const DUE_AFTER_MS = 500;
/** Retried mode: each busy task fails once, and is retried after this backoff. */
const RETRY_BACKOFF_MS = 200;
const PRIORITIES = 10;

type Mode = 'plain' | 'delayed' | 'retried' | 'prioritized';

/** What a busy task's options are in each mode (the same on both sides). */
function busyOptions(mode: Mode, i: number, dueAt: number): { delayMs?: number; priority?: number } {
  if (mode === 'delayed') return { delayMs: Math.max(1, Math.round(dueAt - Date.now())) };
  if (mode === 'prioritized') return { priority: 1 + (i % PRIORITIES) };
  return {};
}

/** The probe: one quiet task every QUIET_EVERY_MS until stopped, and the wait of each. */
class QuietProbe {
  private readonly waits: number[] = [];
  private sent = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly submit: (submittedAt: number) => Promise<void>) {}

  start(): void {
    const tick = (): void => {
      this.sent += 1;
      void this.submit(now());
      this.timer = setTimeout(tick, QUIET_EVERY_MS);
    };
    tick();
  }

  started(submittedAt: number): void {
    this.waits.push(now() - submittedAt);
  }

  /** Stops probing; the p99 wait once every probe sent has started. */
  async stop(timeoutMs: number): Promise<number> {
    if (this.timer) clearTimeout(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.waits.length < this.sent) {
      if (Date.now() > deadline) throw new Error(`only ${this.waits.length} of ${this.sent} quiet tasks started`);
      await sleep(5);
    }
    return percentile(this.waits, 99);
  }
}

/** Counts busy tasks finished for good; resolves once `count` have. */
class BusyDone {
  finished = 0;
  private resolve: () => void = () => undefined;
  readonly all: Promise<void>;
  constructor(readonly total: number) {
    this.all = new Promise((resolve) => (this.resolve = resolve));
  }
  one(): void {
    this.finished += 1;
    if (this.finished === this.total) this.resolve();
  }
}

async function untilFinished(done: BusyDone, count: number): Promise<void> {
  while (done.finished < count) await sleep(5);
}

/** Starts probing after warm-up (or when delayed tasks come due), until the busy work is done. */
async function probeDuring(mode: Mode, done: BusyDone, dueAt: number, probe: QuietProbe): Promise<number> {
  if (mode === 'delayed') await sleep(Math.max(0, dueAt - Date.now()));
  else await untilFinished(done, Math.min(WARMUP, done.total));
  probe.start();
  await withTimeout(done.all, 600_000, () => `busy tasks: ${done.finished}/${done.total} finished`);
  return probe.stop(60_000);
}

async function turbineRound(ctx: BenchContext, busy: number, total: number, mode: Mode): Promise<number> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    const tenants = tenantIds(busy, 'busy');
    await side.createTenants(['quiet']);
    for (let i = 0; i < tenants.length; i += 500) await Promise.all(tenants.slice(i, i + 500).map((t) => side.createTenants([t])));
    const done = new BusyDone(total);
    const failedOnce = new Set<string>();
    const probe = new QuietProbe(async (at) => void (await quiet.applyAsync({ args: [at], tenantId: 'quiet' })));
    const quiet = side.app.task({ name: 'quiet', queue: 'work' }, async (submittedAt: number) => {
      probe.started(submittedAt);
      await sleep(HANDLER_MS);
    });
    const work = side.app.task({ name: 'work', queue: 'work', retries: 1, backoff: RETRY_BACKOFF_MS }, async (id: string) => {
      await sleep(HANDLER_MS);
      if (mode === 'retried' && !failedOnce.has(id)) {
        failedOnce.add(id);
        throw new Error('first attempt fails');
      }
    });
    const dueAt = Date.now() + DUE_AFTER_MS + total / 20; // submission runs at well over 20 tasks/ms
    await inBatches(total, BATCH, async (from, count) => {
      const items = Array.from({ length: count }, (_, k) => ({
        args: [String(from + k)] as [string],
        tenantId: tenants[(from + k) % busy]!,
        ...busyOptions(mode, from + k, dueAt),
      }));
      return (await work.applyBulk(items)).filter((r) => r.ok).length;
    });
    await side.startWorker(CONCURRENCY, (w) =>
      w.on('task:finished', (e) => {
        if (e.task === 'work' && e.outcome !== 'retried') done.one();
      }),
    );
    return await probeDuring(mode, done, dueAt, probe);
  } finally {
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, busy: number, total: number, mode: Mode): Promise<number> {
  const side = new PeerSide(ctx.redis.url);
  try {
    const tenants = tenantIds(busy, 'busy');
    const done = new BusyDone(total);
    const probe = new QuietProbe(async (at) => {
      await side.queue.add('quiet', { tenant_id: 'quiet', args: [at] }, PEER_JOB_OPTIONS);
    });
    const dueAt = Date.now() + DUE_AFTER_MS + total / 20;
    await inBatches(total, BATCH, async (from, count) => {
      const jobs = Array.from({ length: count }, (_, k) => {
        const { delayMs, priority } = busyOptions(mode, from + k, dueAt);
        return {
          name: 'work',
          data: { tenant_id: tenants[(from + k) % busy]!, args: [String(from + k)] },
          opts: { ...PEER_JOB_OPTIONS, attempts: 2, backoff: { type: 'fixed', delay: RETRY_BACKOFF_MS }, delay: delayMs, priority },
        };
      });
      return (await side.queue.addBulk(jobs)).length;
    });
    const worker = await side.worker(CONCURRENCY, async (job) => {
      if (job.name === 'quiet') probe.started((job.data.args as number[])[0]!);
      await sleep(HANDLER_MS);
      if (job.name === 'work' && mode === 'retried' && job.attemptsMade === 0) throw new Error('first attempt fails');
    });
    worker.on('completed', (job) => {
      if (job.name === 'work') done.one();
    });
    void worker.run();
    return await probeDuring(mode, done, dueAt, probe);
  } finally {
    await side.close();
  }
}

/** The rows: the sweep over B, then the three probes at B = 100. */
function cases(quick: boolean): { busy: number; mode: Mode }[] {
  const sweep = (quick ? [1, 100, 10_000] : [1, 10, 100, 1000, 10_000]).map((busy) => ({ busy, mode: 'plain' as Mode }));
  const probes = (['delayed', 'retried', 'prioritized'] as const).map((mode) => ({ busy: 100, mode }));
  return [...sweep, ...probes];
}

export const fairness: Benchmark = {
  name: 'fairness',
  async run(ctx) {
    const total = ctx.quick ? 5000 : 20_000;
    const results: MetricResult[] = [];
    for (const { busy, mode } of cases(ctx.quick)) {
      const result: MetricResult = {
        bench: `8. Fairness: ${total} tasks of ${HANDLER_MS} ms over B=${busy} busy tenants${mode === 'plain' ? '' : ` (${mode})`}, quiet task every ${QUIET_EVERY_MS} ms, c=${CONCURRENCY}`,
        metric: 'quiet p99 wait (ms)',
        turbine: [],
        peer: [],
        target: { kind: 'max', value: 50 },
      };
      for (let round = 0; round < ctx.rounds; round++) {
        const figures = await alternate(ctx, round, () => turbineRound(ctx, busy, total, mode), () => peerRound(ctx, busy, total, mode));
        result.turbine.push(figures.turbine);
        result.peer!.push(figures.peer);
        ctx.log(`fairness B=${busy} ${mode} round ${round + 1}: turbine p99 ${figures.turbine.toFixed(1)} ms, peer p99 ${figures.peer.toFixed(1)} ms`);
      }
      results.push(result);
    }
    return results;
  },
};
