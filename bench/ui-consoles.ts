import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { Turbine } from '../src/tasks/app.js';
import { TenantManager } from '../src/tenancy/manager.js';
import { createConsole, type TurbineConsole } from '../src/ui/index.js';
import { BenchRedis } from './lib/redis.js';

/**
 * `npx tsx bench/ui-consoles.ts [--tenants 50] [--seconds 20]`: what open web consoles cost
 * Redis. Each simulated browser fetches the Tenants page every refresh interval, as the page's
 * script does. Phases: no console, 1 browser, 20 browsers on one console (readings shared), and
 * 20 browsers each on a console of its own (no sharing: what 20 separate `turbine ui` processes
 * would cost). Redis work is counted server-side (INFO commandstats, calls inside Lua scripts
 * included) and as redis-server CPU time.
 */

const REFRESH_MS = 2000;

interface Phase {
  name: string;
  browsers: number;
  /** Consoles serving them: 1 (shared readings) or one per browser. */
  consoles: number;
}

const PHASES: Phase[] = [
  { name: 'no console open', browsers: 0, consoles: 0 },
  { name: '1 browser', browsers: 1, consoles: 1 },
  { name: '20 browsers, one console (shared)', browsers: 20, consoles: 1 },
  { name: '20 browsers, 20 consoles (unshared)', browsers: 20, consoles: 20 },
];

async function serve(url: string, prefix: string): Promise<{ origin: string; web: TurbineConsole; server: Server }> {
  const web = createConsole({ backendUrl: url, prefix, refreshMs: REFRESH_MS });
  const server = createServer(web).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return { origin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, web, server };
}

async function calls(redis: BenchRedis): Promise<number> {
  return [...(await redis.commandCalls()).values()].reduce((a, b) => a + b, 0);
}

/** Browsers polling `origins` (round-robin) every REFRESH_MS for `seconds`, spread over the interval. */
async function browse(origins: string[], browsers: number, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: browsers }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (REFRESH_MS * i) / Math.max(1, browsers)));
      while (Date.now() < until) {
        const response = await fetch(`${origins[i % origins.length]!}/`);
        if (!response.ok) throw new Error(`console answered ${response.status}`);
        await response.text();
        await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
      }
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tenants: { type: 'string', default: '50' }, seconds: { type: 'string', default: '20' } } });
  const tenants = Number(values.tenants);
  const seconds = Number(values.seconds);
  const redis = await BenchRedis.start();
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
  console.log(`redis-server ${await redis.version()}, ${tenants} tenants with 20 queued tasks each, refresh every ${REFRESH_MS} ms, ${seconds} s per phase`);
  console.log('phase'.padEnd(40), 'Redis calls/s'.padStart(14), 'Redis CPU %'.padStart(12));
  for (const phase of PHASES) {
    const consoles = await Promise.all(Array.from({ length: phase.consoles }, () => serve(redis.url, prefix)));
    const [calls0, cpu0, t0] = [await calls(redis), await redis.cpuSeconds(), Date.now()];
    if (phase.browsers > 0) await browse(consoles.map((c) => c.origin), phase.browsers, seconds);
    else await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const elapsed = (Date.now() - t0) / 1000;
    // The two INFO reads of this measurement are left out.
    const perSecond = ((await calls(redis)) - calls0 - 2) / elapsed;
    const cpu = (((await redis.cpuSeconds()) - cpu0) / elapsed) * 100;
    console.log(phase.name.padEnd(40), perSecond.toFixed(1).padStart(14), cpu.toFixed(2).padStart(12));
    for (const c of consoles) {
      c.server.close();
      await c.web.close();
    }
  }
  await app.close();
  await manager.close();
  await redis.close();
}

await main();
