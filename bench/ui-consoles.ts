import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
// The built package, as users run it (and as the throughput round does).
import { TenantManager, Turbine } from 'turbine-tasks';
import { ConsoleProcess } from '../test/helpers/ui.js';
import { NOOP_TENANTS } from './lib/noop-workload.js';
import { BenchRedis } from './lib/redis.js';
import { spread } from './lib/stats.js';
import { turbineRound, type ThroughputFigures } from './throughput.js';

/**
 * `npm run build && npx tsx bench/ui-consoles.ts [--quick] [--tenants 50] [--seconds 20] [--tasks 100000] [--rounds 3]`:
 * what open web consoles cost Redis. Each simulated browser fetches the Tenants page every
 * refresh interval, as the page's script does, from `turbine ui` processes (the built binary,
 * as operators run it). Phases: no console, 1 browser, 20 browsers on one console (readings
 * shared), and 20 browsers each on a console of its own (no sharing).
 *
 * 1. Idle: `--tenants` tenants with queued tasks and no worker; Redis calls per second (INFO
 *    commandstats, calls inside Lua scripts included) and redis-server CPU time, `--seconds` per phase.
 * 2. Under the throughput benchmark (bench/throughput.ts's Turbine round: `--tasks` no-op tasks
 *    of its 10 tenants, concurrency 50, the worker in this process): redis-server CPU per task
 *    with no console, 20 browsers on one console, and 20 consoles, in an order that alternates
 *    from round to round; the difference from no console in % (issue target: under 2 %).
 */

const REFRESH_MS = 2000;

interface Phase {
  name: string;
  browsers: number;
  /** Consoles serving them: 1 (shared readings) or one per browser. */
  consoles: number;
}

const NO_CONSOLE: Phase = { name: 'no console open', browsers: 0, consoles: 0 };
const ONE_BROWSER: Phase = { name: '1 browser', browsers: 1, consoles: 1 };
const SHARED: Phase = { name: '20 browsers, one console (shared)', browsers: 20, consoles: 1 };
const UNSHARED: Phase = { name: '20 browsers, 20 consoles (unshared)', browsers: 20, consoles: 20 };

async function calls(redis: BenchRedis): Promise<number> {
  return [...(await redis.commandCalls()).values()].reduce((a, b) => a + b, 0);
}

/** Browsers polling `origins` (round-robin) every REFRESH_MS until `stop`, spread over the interval. */
async function browse(origins: string[], browsers: number, stop: AbortSignal): Promise<void> {
  // Every browser waits on `stop`: more listeners than the default 10 are meant.
  setMaxListeners(browsers + 1, stop);
  // An aborted wait ends the loop: the browser closes.
  const wait = (ms: number): Promise<void> => delay(ms, undefined, { signal: stop }).catch(() => undefined);
  await Promise.all(
    Array.from({ length: browsers }, async (_, i) => {
      await wait((REFRESH_MS * i) / Math.max(1, browsers));
      while (!stop.aborted) {
        const response = await fetch(`${origins[i % origins.length]!}/`, { signal: AbortSignal.timeout(30_000) });
        if (!response.ok) throw new Error(`console answered ${response.status}`);
        await response.text();
        await wait(REFRESH_MS);
      }
    }),
  );
}

/** Consoles started at once: twenty Node processes starting together on 2 cores take longer than ConsoleProcess waits. */
const STARTING_AT_ONCE = 4;

/** `count` consoles on `prefix`; those that started are stopped again when another fails to. */
async function startConsoles(redis: BenchRedis, prefix: string, count: number): Promise<ConsoleProcess[]> {
  const consoles: ConsoleProcess[] = [];
  for (let from = 0; from < count; from += STARTING_AT_ONCE) {
    const started = await Promise.allSettled(
      Array.from({ length: Math.min(STARTING_AT_ONCE, count - from) }, () => ConsoleProcess.start({ url: redis.url, prefix, refreshMs: REFRESH_MS })),
    );
    consoles.push(...started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(consoles.map((c) => c.stop()));
      throw failed.reason;
    }
  }
  return consoles;
}

async function idle(redis: BenchRedis, tenants: number, seconds: number): Promise<void> {
  const prefix = 'turbine';
  const manager = new TenantManager({ backendUrl: redis.url, prefix, actor: 'bench' });
  const app = new Turbine({ backendUrl: redis.url, prefix });
  const task = app.task({ name: 'noop', queue: 'work' }, async () => null);
  for (let t = 0; t < tenants; t += 1) {
    const tenantId = `tenant-${t}`;
    await manager.createTenant({ tenantId, name: tenantId, quotas: { maxConcurrentTasks: 5, maxTasksPerHour: 10_000 } });
    // No worker runs: the tasks stay queued and held, so every figure the pages read is non-zero.
    await task.applyBulk(Array.from({ length: 20 }, () => ({ args: [], tenantId })));
  }
  console.log(`\n1. Idle: ${tenants} tenants with 20 queued tasks each, refresh every ${REFRESH_MS} ms, ${seconds} s per phase`);
  console.log('phase'.padEnd(40), 'Redis calls/s'.padStart(14), 'Redis CPU %'.padStart(12));
  for (const phase of [NO_CONSOLE, ONE_BROWSER, SHARED, UNSHARED]) {
    const consoles = await startConsoles(redis, prefix, phase.consoles);
    const [calls0, cpu0, t0] = [await calls(redis), await redis.cpuSeconds(), Date.now()];
    await Promise.all([browse(consoles.map((c) => c.url), phase.browsers, AbortSignal.timeout(seconds * 1000)), delay(seconds * 1000)]);
    const elapsed = (Date.now() - t0) / 1000;
    // The two INFO reads of this measurement are left out.
    const perSecond = ((await calls(redis)) - calls0 - 2) / elapsed;
    const cpu = (((await redis.cpuSeconds()) - cpu0) / elapsed) * 100;
    console.log(phase.name.padEnd(40), perSecond.toFixed(1).padStart(14), cpu.toFixed(2).padStart(12));
    await Promise.all(consoles.map((c) => c.stop()));
  }
  await app.close();
  await manager.close();
  await redis.flush();
}

/** The throughput round with `phase`'s consoles open on its prefix and its browsers polling through the processing. */
function throughputWith(redis: BenchRedis, tasks: number, phase: Phase): Promise<ThroughputFigures> {
  return turbineRound(redis, tasks, 'error', async (prefix) => {
    const consoles = await startConsoles(redis, prefix, phase.consoles);
    const stop = new AbortController();
    const browsing = browse(consoles.map((c) => c.url), phase.browsers, stop.signal);
    return async () => {
      stop.abort();
      try {
        await browsing;
      } finally {
        await Promise.all(consoles.map((c) => c.stop()));
      }
    };
  });
}

async function underLoad(redis: BenchRedis, tasks: number, rounds: number): Promise<void> {
  const phases = [NO_CONSOLE, SHARED, UNSHARED];
  const figures = new Map<Phase, ThroughputFigures[]>(phases.map((p) => [p, []]));
  console.log(`\n2. Under the throughput benchmark: ${tasks} no-op tasks of ${NOOP_TENANTS} tenants, c=50, ${rounds} round(s)`);
  for (let round = 0; round < rounds; round += 1) {
    // Alternating order, so that no phase always runs on a warmer machine.
    for (const phase of round % 2 === 0 ? phases : [...phases].reverse()) {
      const f = await throughputWith(redis, tasks, phase);
      figures.get(phase)!.push(f);
      await redis.flush();
      console.error(`  round ${round + 1}, ${phase.name}: ${f.rate.toFixed(0)} tasks/s, Redis ${f.redisCpuUs.toFixed(1)} µs per task`);
    }
  }
  const median = (phase: Phase, field: keyof ThroughputFigures): number => spread(figures.get(phase)!.map((f) => f[field])).median;
  const base = median(NO_CONSOLE, 'redisCpuUs');
  console.log('phase'.padEnd(40), 'tasks/s'.padStart(9), 'Redis CPU/task (µs)'.padStart(20), 'vs no console'.padStart(14));
  for (const phase of phases) {
    const cpu = median(phase, 'redisCpuUs');
    const diff = phase === NO_CONSOLE ? '' : `${(((cpu - base) / base) * 100).toFixed(2)} %`;
    console.log(phase.name.padEnd(40), median(phase, 'rate').toFixed(0).padStart(9), cpu.toFixed(1).padStart(20), diff.padStart(14));
  }
  console.log('(medians over rounds; target: 20 open consoles add under 2 % to Redis CPU per task)');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      tenants: { type: 'string', default: '50' },
      seconds: { type: 'string' },
      tasks: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const int = (name: string, text: string | undefined, fallback: number): number => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
    return n;
  };
  const tenants = int('tenants', values.tenants, 50);
  const seconds = int('seconds', values.seconds, quick ? 4 : 20);
  // Enough tasks for the processing to span several refresh intervals.
  const tasks = int('tasks', values.tasks, quick ? 10_000 : 100_000);
  const rounds = int('rounds', values.rounds, quick ? 1 : 3);
  const redis = await BenchRedis.start();
  try {
    console.log(`redis-server ${await redis.version()}${quick ? ', quick sizes' : ''}`);
    await idle(redis, tenants, seconds);
    await underLoad(redis, tasks, rounds);
  } finally {
    await redis.close();
  }
}

await main();
