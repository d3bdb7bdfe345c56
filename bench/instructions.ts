import { CallgrindRedis, type InstructionCount } from './lib/callgrind-redis.js';
import { Progress, collectRounds, waitForCard, type Benchmark, type FigureRow } from './lib/bench.js';
import { NOOP_CONCURRENCY as CONCURRENCY, NOOP_TENANTS as TENANTS, prepareTurbineNoop, submitPeerNoop } from './lib/noop-workload.js';
import { PeerSide, TurbineSide } from './lib/world.js';

/**
 * 17. Redis instructions per task: benchmark 1's workload, processed against a redis-server run
 * under Valgrind's callgrind, which counts the instructions the server executes. The count is
 * taken once the first WARM_UP tasks have finished (see there) to the last task stored as
 * completed, divided by the tasks finished meanwhile. CPU time per task moves with a shared
 * machine's load (benchmark 1's rounds differ by 1.5 ×); this count does not, so it shows what
 * a change to Turbine's scripts saves, and where Turbine's Redis cost stands against BullMQ's,
 * exactly. Needs valgrind (apt-get install -y valgrind).
 * Under callgrind the server runs about 50 times slower, so work done every few seconds (the
 * reconciler's pass, the metrics refresh, lease renewal) weighs about 50 times more per task
 * than in a real run: the second figure is the per-task path alone, the fetch and finish
 * (Turbine's FCALL, BullMQ's EVALSHA, which BullMQ's worker uses for little else).
 */

interface Figures {
  /** Thousands of instructions per task: all of redis-server's, and those of the fetch and finish. */
  totalK: number;
  fetchFinishK: number;
}

// Counting starts after this many tasks: the scripts are loaded by then, and each tenant's
// stored-result index and BullMQ's completed set have outgrown Redis's compact encoding (128
// entries), whose inserts cost more per entry the longer it is, as in benchmark 1's longer run.
const WARM_UP = 1500;

/**
 * Processes `total` submitted tasks (`start` starts the worker and returns the set BullMQ stores
 * them in), counting redis-server's instructions from the WARM_UP-th finished task to the last.
 */
async function counted(
  server: CallgrindRedis,
  total: number,
  /** The server's command that runs a fetch and finish: fcallCommand, evalShaCommand. */
  fetchFinish: string,
  start: (onFinished: () => void) => Promise<string>,
): Promise<Figures> {
  const progress = new Progress(total);
  let counting: Promise<number> | null = null;
  const onFinished = (): void => {
    progress.finished();
    if (progress.ended === WARM_UP) counting = server.startCounting().then(() => progress.ended);
  };
  const completed = await start(onFinished);
  await progress.wait(600_000, 'instructions');
  await waitForCard(server.raw, completed, total, 120_000);
  if (!counting) throw new Error(`fewer than ${WARM_UP} tasks: nothing was counted`);
  const from = await counting;
  const count: InstructionCount = await server.stopCounting([fetchFinish]);
  const tasks = total - from;
  return { totalK: count.total / tasks / 1000, fetchFinishK: count.inCommands / tasks / 1000 };
}

async function turbineRound(total: number): Promise<Figures> {
  const server = await CallgrindRedis.start();
  const side = new TurbineSide(server.url);
  try {
    const submit = await prepareTurbineNoop(side);
    await submit(total);
    return await counted(server, total, 'fcallCommand', async (onFinished) => {
      await side.startWorker(CONCURRENCY, (worker) => worker.on('task:finished', onFinished), 'error');
      return `${side.prefix}:q:work:completed`;
    });
  } finally {
    await side.close();
    await server.close();
  }
}

async function peerRound(total: number): Promise<Figures> {
  const server = await CallgrindRedis.start();
  const side = new PeerSide(server.url);
  try {
    await submitPeerNoop(side, total);
    return await counted(server, total, 'evalShaCommand', async (onFinished) => {
      const worker = await side.worker(CONCURRENCY, async () => null);
      worker.on('completed', onFinished);
      void worker.run();
      return `${side.prefix}:work:completed`;
    });
  } finally {
    await side.close();
    await server.close();
  }
}

export const instructions: Benchmark = {
  name: 'instructions',
  async run(ctx) {
    if (!CallgrindRedis.isAvailable()) {
      throw new Error('valgrind is not installed, which this benchmark runs redis-server under: apt-get install -y valgrind');
    }
    const total = ctx.quick ? 600 : 3500;
    const bench = `17. Redis instructions per task (${total} no-op tasks, ${TENANTS} tenants, c=${CONCURRENCY}, under callgrind)`;
    const rows: FigureRow<Figures>[] = [
      ['totalK', { bench, metric: 'redis-server instructions per task (thousands)', turbine: [], peer: [] }],
      ['fetchFinishK', { bench, metric: '… of which in the fetch and finish (FCALL / EVALSHA)', turbine: [], peer: [] }],
    ];
    return collectRounds(ctx, rows, { turbine: () => turbineRound(total), peer: () => peerRound(total) }, (r, round) =>
      ctx.log(`instructions round ${round + 1}: turbine ${r.turbine.totalK.toFixed(0)}k, peer ${r.peer.totalK.toFixed(0)}k per task`),
    );
  },
};
