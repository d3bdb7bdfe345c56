import { Progress, alternate, inBatches, tenantIds, waitForCard, type BenchContext, type Benchmark } from './lib/bench.js';
import { excludeClient, installCommandCounter, startCounting, stopCounting } from './lib/command-counter.js';
import type { MetricResult } from './lib/report.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 7. Redis commands per completed task, over submission (applyBulk / addBulk, batches of 1 000)
 * and processing (concurrency 50) of the same workload as benchmark 1. `INFO commandstats`
 * (reset with CONFIG RESETSTAT) counts every call, those made inside Lua scripts included;
 * the clients' own count gives the top-level commands and round trips. The bench's own
 * commands (the reset, polling) are subtracted. CPU time of Redis and of this process (where
 * producer and worker run) says where the time per task goes.
 */
const CONCURRENCY = 50;
const TENANTS = 10;
const BATCH = 1000;

interface Figures {
  calls: number;
  topLevel: number;
  evalsha: number;
  roundTrips: number;
  /** CPU time per task of redis-server and of this process (producer and worker), in µs. */
  redisCpuUs: number;
  nodeCpuUs: number;
  /** Server-side calls per task by command (Lua-internal included), for the breakdown. */
  byCommand: Map<string, number>;
}

type Figure = Exclude<keyof Figures, 'byCommand'>;

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
async function counted(ctx: BenchContext, total: number, work: () => Promise<void>): Promise<Figures> {
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
  const evalsha = (mine.byName.get('evalsha') ?? 0) + (mine.byName.get('eval') ?? 0);
  return {
    calls: calls / total,
    topLevel: mine.commands / total,
    evalsha: evalsha / total,
    roundTrips: mine.roundTrips / total,
    redisCpuUs: redisCpuUs / total,
    nodeCpuUs: (node.user + node.system) / total,
    byCommand: perCommand(server, excluded.byName, total),
  };
}

async function turbineRound(ctx: BenchContext, total: number): Promise<Figures> {
  const side = new TurbineSide(ctx.redis.url);
  try {
    const tenants = tenantIds(TENANTS);
    await side.createTenants(tenants);
    const noop = side.app.task({ name: 'noop', queue: 'work' }, async () => null);
    await side.app.client();
    return await counted(ctx, total, async () => {
      await inBatches(total, BATCH, async (from, count) => {
        const items = Array.from({ length: count }, (_, i) => ({ args: [] as [], tenantId: tenants[(from + i) % TENANTS]! }));
        return (await noop.applyBulk(items)).filter((r) => r.ok).length;
      });
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
    return await counted(ctx, total, async () => {
      await inBatches(total, BATCH, async (from, count) => {
        const jobs = Array.from({ length: count }, (_, i) => ({
          name: 'noop',
          data: { tenant_id: `tenant-${(from + i) % TENANTS}`, args: [] },
          opts: PEER_JOB_OPTIONS,
        }));
        return (await side.queue.addBulk(jobs)).length;
      });
      const progress = new Progress(total);
      const worker = await side.worker(CONCURRENCY, async () => null);
      worker.on('completed', () => progress.finished());
      void worker.run();
      await progress.wait(300_000, 'peer commands');
      await waitForCard(ctx.redis.raw, `${side.prefix}:work:completed`, total);
    });
  } finally {
    await side.close();
  }
}

export const commands: Benchmark = {
  name: 'commands',
  async run(ctx) {
    const total = ctx.quick ? 2000 : 10_000;
    const bench = `7. Redis commands per task (${total} tasks, submit + process, c=${CONCURRENCY})`;
    const rows: [Figure, MetricResult][] = [
      ['calls', { bench, metric: 'calls, Lua-internal included', turbine: [], peer: [], target: { kind: 'diff-max', value: 3 } }],
      ['topLevel', { bench, metric: 'top-level commands', turbine: [], peer: [] }],
      ['evalsha', { bench, metric: 'of which EVALSHA', turbine: [], peer: [] }],
      ['roundTrips', { bench, metric: 'round trips', turbine: [], peer: [] }],
      ['redisCpuUs', { bench, metric: 'redis-server CPU (µs)', turbine: [], peer: [] }],
      ['nodeCpuUs', { bench, metric: 'Node CPU, producer + worker (µs)', turbine: [], peer: [] }],
    ];
    for (let round = 0; round < ctx.rounds; round++) {
      const r = await alternate(ctx, round, () => turbineRound(ctx, total), () => peerRound(ctx, total));
      for (const [key, row] of rows) {
        row.turbine.push(r.turbine[key]);
        row.peer!.push(r.peer[key]);
      }
      ctx.log(`commands round ${round + 1}: turbine ${r.turbine.calls.toFixed(1)} calls/task, peer ${r.peer.calls.toFixed(1)}`);
      if (round === ctx.rounds - 1) {
        ctx.log(`calls per task by command, Turbine: ${describeCommands(r.turbine.byCommand)}`);
        ctx.log(`calls per task by command, plain BullMQ: ${describeCommands(r.peer.byCommand)}`);
      }
    }
    return rows.map(([, row]) => row);
  },
};
