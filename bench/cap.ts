import { completions, maxConcurrent, readProbeEvents, type ProbeEvent } from '../test/helpers/probe.js';
import { collectRounds, inBatches, waitForCard, type BenchContext, type Benchmark, type FigureRow } from './lib/bench.js';
import { startPeerWorker, startProbeWorkers, type Child } from './lib/processes.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 5. Exact cap across processes: 3 real `turbine-worker` processes × concurrency 50 run a
 * tenant capped at 10 (test/fixtures/probe-app.mjs records each run's start and end). The
 * highest count of runs seen overlapping must be 10 and each task must run exactly once. The
 * peer is 3 plain BullMQ worker processes with BullMQ's own queue-wide cap
 * (`setGlobalConcurrency(10)`), the nearest thing it has to a tenant cap.
 */
const WORKERS = 3;
const CONCURRENCY = 50;
const CAP = 10;
const HANDLER_MS = 5;

interface Figures {
  maxRunning: number;
  /** Tasks that ran more than once, plus tasks that never ran. */
  notExactlyOnce: number;
  rate: number;
}

function figures(events: ProbeEvent[], tenantId: string, total: number): Figures {
  const counts = completions(events);
  let notExactlyOnce = total - counts.size;
  for (const n of counts.values()) if (n !== 1) notExactlyOnce += 1;
  const times = events.map((e) => e.at);
  const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
  return { maxRunning: maxConcurrent(events, tenantId), notExactlyOnce, rate: total / seconds };
}

async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
}

async function turbineRound(ctx: BenchContext, total: number): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url);
  const children: Child[] = [];
  try {
    await side.createTenants(['capped'], { maxConcurrentTasks: CAP });
    children.push(...(await startProbeWorkers(ctx.redis.url, side.prefix, WORKERS, CONCURRENCY)));
    // The producer side of the probe app's task: same name and queue; it runs in the workers.
    const record = side.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _ms: number) => id);
    await inBatches(total, 1000, async (from, count) => {
      const items = Array.from({ length: count }, (_, i) => ({ args: [`t-${from + i}`, HANDLER_MS] as [string, number], tenantId: 'capped' }));
      return (await record.applyBulk(items)).filter((r) => r.ok).length;
    });
    await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:completed`, total, 600_000);
    return figures(await readProbeEvents(ctx.redis.raw, side.prefix), 'capped', total);
  } finally {
    await stopAll(children);
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, total: number): Promise<Figures> {
  const side = new PeerSide(ctx.redis.url);
  const children: Child[] = [];
  try {
    const start = (): Promise<Child> =>
      startPeerWorker({ url: ctx.redis.url, prefix: side.prefix, concurrency: CONCURRENCY, globalConcurrency: CAP });
    children.push(...(await Promise.all(Array.from({ length: WORKERS }, start))));
    await inBatches(total, 1000, async (from, count) => {
      const jobs = Array.from({ length: count }, (_, i) => ({
        name: 'record',
        data: { tenant_id: 'capped', args: [`t-${from + i}`, HANDLER_MS] },
        opts: { ...PEER_JOB_OPTIONS, attempts: 1 },
      }));
      return (await side.queue.addBulk(jobs)).length;
    });
    await waitForCard(ctx.redis.raw, `${side.prefix}:work:completed`, total, 600_000);
    return figures(await readProbeEvents(ctx.redis.raw, side.prefix), 'capped', total);
  } finally {
    await stopAll(children);
    await side.close();
  }
}

export const cap: Benchmark = {
  name: 'cap',
  async run(ctx) {
    const total = ctx.quick ? 2000 : 20_000;
    const bench = `5. Exact cap: ${WORKERS} processes × c=${CONCURRENCY}, cap ${CAP}, ${total} tasks of ${HANDLER_MS} ms`;
    const rows: FigureRow<Figures>[] = [
      ['maxRunning', { bench, metric: 'max running', turbine: [], peer: [], target: { kind: 'equals', value: CAP } }],
      ['notExactlyOnce', { bench, metric: 'tasks not run exactly once', turbine: [], peer: [], target: { kind: 'equals', value: 0 } }],
      ['rate', { bench, metric: 'tasks/s', turbine: [], peer: [] }],
    ];
    const sides = { turbine: () => turbineRound(ctx, total), peer: () => peerRound(ctx, total) };
    return collectRounds(ctx, rows, sides, (r, round) =>
      ctx.log(`cap round ${round + 1}: turbine ${JSON.stringify(r.turbine)}, peer ${JSON.stringify(r.peer)}`),
    );
  },
};
