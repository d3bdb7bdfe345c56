import { Progress, collectRounds, waitForCard, type BenchContext, type Benchmark, type FigureRow } from './lib/bench.js';
import { excludeClient, installCommandCounter, startCounting, stopCounting } from './lib/command-counter.js';
import { NOOP_CONCURRENCY as CONCURRENCY, prepareTurbineNoop, submitPeerNoop } from './lib/noop-workload.js';
import { PeerSide, TurbineSide } from './lib/world.js';

/**
 * 7. Redis commands per completed task, over submission (applyBulk / addBulk, batches of 1 000)
 * and processing (concurrency 50) of the same workload as benchmark 1. `INFO commandstats`
 * (reset with CONFIG RESETSTAT) counts every call, those made inside Lua scripts included;
 * the clients' own count gives the top-level commands and round trips. The bench's own
 * commands (the reset, polling) are subtracted. CPU time of Redis and of this process (where
 * producer and worker run) says where the time per task goes. Turbine's calls are counted again
 * with the tasks spread over many tenants, 2 tasks each (SCALE_TENANTS_PER_TASK), the shape of
 * benchmark 14 (plain BullMQ has no tenants: its one figure stands for both).
 */
const SCALE_TENANTS_PER_TASK = 0.5;

interface Figures {
  calls: number;
  /** Calls per task with the tasks spread over many tenants (Turbine), the same figure as `calls` for the peer. */
  callsAtScale: number;
  topLevel: number;
  /** EVALSHA, EVAL and FCALL: calls of a Lua script or of a Functions library's function. */
  scriptCalls: number;
  roundTrips: number;
  /** CPU time per task of redis-server and of this process (producer and worker), in µs. */
  redisCpuUs: number;
  nodeCpuUs: number;
  /** Server-side calls per task by command (Lua-internal included), for the breakdown. */
  byCommand: Map<string, number>;
}

/** Calls per task by command, without the bench's own (RESETSTAT, polling). */
function perCommand(server: Map<string, number>, excluded: Map<string, number>, total: number): Map<string, number> {
  const out = new Map(server);
  for (const [name, count] of excluded) {
    const key = [...out.keys()].find((k) => k === name || k.startsWith(`${name}|`));
    if (key) out.set(key, out.get(key)! - count);
  }
  return new Map([...out].filter(([, n]) => n > 0).map(([k, n]) => [k, n / total]));
}

const describeCommands = (m: Map<string, number>): string =>
  [...m].sort((a, b) => b[1] - a[1]).filter(([, n]) => n >= 0.01).map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ');

/** Runs `work` between a stats reset and a commandstats read; figures are per task. */
async function counted(ctx: BenchContext, total: number, work: () => Promise<void>): Promise<Omit<Figures, 'callsAtScale'>> {
  installCommandCounter();
  excludeClient(ctx.redis.raw);
  startCounting();
  await ctx.redis.resetStats();
  const redisCpu = await ctx.redis.cpuSeconds();
  const nodeCpu = process.cpuUsage();
  await work();
  const { counted: mine, excluded } = stopCounting();
  const node = process.cpuUsage(nodeCpu);
  const redisCpuUs = ((await ctx.redis.cpuSeconds()) - redisCpu) * 1e6;
  const server = await ctx.redis.commandCalls();
  const calls = [...server.values()].reduce((a, b) => a + b, 0) - excluded.commands;
  const scriptCalls = ['evalsha', 'eval', 'fcall'].reduce((sum, name) => sum + (mine.byName.get(name) ?? 0), 0);
  return {
    calls: calls / total,
    topLevel: mine.commands / total,
    scriptCalls: scriptCalls / total,
    roundTrips: mine.roundTrips / total,
    redisCpuUs: redisCpuUs / total,
    nodeCpuUs: (node.user + node.system) / total,
    byCommand: perCommand(server, excluded.byName, total),
  };
}

async function turbineRound(ctx: BenchContext, total: number): Promise<Figures> {
  const few = await turbineRun(ctx, total);
  await ctx.redis.flush();
  const many = await turbineRun(ctx, total, total * SCALE_TENANTS_PER_TASK);
  return { ...few, callsAtScale: many.calls };
}

async function turbineRun(ctx: BenchContext, total: number, tenantCount?: number): Promise<Omit<Figures, 'callsAtScale'>> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    const submit = await prepareTurbineNoop(side, tenantCount);
    await side.app.client();
    return await counted(ctx, total, async () => {
      await submit(total);
      const progress = new Progress(total);
      await side.startWorker(CONCURRENCY, (w) => w.on('task:finished', () => progress.finished()));
      await progress.wait(300_000, 'turbine commands');
      await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:completed`, total);
    });
  } finally {
    await side.close();
  }
}

async function peerRound(ctx: BenchContext, total: number): Promise<Figures> {
  const side = new PeerSide(ctx.redis.url);
  try {
    await side.queue.waitUntilReady();
    const figures = await counted(ctx, total, async () => {
      await submitPeerNoop(side, total);
      const progress = new Progress(total);
      const worker = await side.worker(CONCURRENCY, async () => null);
      worker.on('completed', () => progress.finished());
      void worker.run();
      await progress.wait(300_000, 'peer commands');
      await waitForCard(ctx.redis.raw, `${side.prefix}:work:completed`, total);
    });
    return { ...figures, callsAtScale: figures.calls };
  } finally {
    await side.close();
  }
}

export const commands: Benchmark = {
  name: 'commands',
  async run(ctx) {
    const total = ctx.quick ? 2000 : 10_000;
    const bench = `7. Redis commands per task (${total} tasks, submit + process, c=${CONCURRENCY})`;
    const rows: FigureRow<Figures>[] = [
      ['calls', { bench, metric: 'calls, Lua-internal included', turbine: [], peer: [], target: { kind: 'diff-max', value: 3 } }],
      ['callsAtScale', { bench, metric: `calls, ${(total * SCALE_TENANTS_PER_TASK).toLocaleString('en-US')} tenants × 2 tasks (peer: no tenants, as above)`, turbine: [], peer: [] }],
      ['topLevel', { bench, metric: 'top-level commands', turbine: [], peer: [] }],
      ['scriptCalls', { bench, metric: 'of which script calls (EVALSHA, FCALL)', turbine: [], peer: [] }],
      ['roundTrips', { bench, metric: 'round trips', turbine: [], peer: [] }],
      ['redisCpuUs', { bench, metric: 'redis-server CPU (µs)', turbine: [], peer: [] }],
      ['nodeCpuUs', { bench, metric: 'Node CPU, producer + worker (µs)', turbine: [], peer: [] }],
    ];
    const sides = { turbine: () => turbineRound(ctx, total), peer: () => peerRound(ctx, total) };
    return collectRounds(ctx, rows, sides, (r, round) => {
      ctx.log(`commands round ${round + 1}: turbine ${r.turbine.calls.toFixed(1)} calls/task (${r.turbine.callsAtScale.toFixed(1)} at tenant scale), peer ${r.peer.calls.toFixed(1)}`);
      if (round === ctx.rounds - 1) {
        ctx.log(`calls per task by command, Turbine: ${describeCommands(r.turbine.byCommand)}`);
        ctx.log(`calls per task by command, plain BullMQ: ${describeCommands(r.peer.byCommand)}`);
      }
    });
  },
};
