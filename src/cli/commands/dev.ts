import type { CommandModule } from 'yargs';
import { createDemoApp } from '../../dev/demo-app.js';
import { DEMO_TENANTS, ensureDemoTenants, startTraffic } from '../../dev/demo.js';
import { StatusView } from '../../dev/status-view.js';
import { findOrStartRedis, type LocalRedis } from '../../dev/local-redis.js';
import { redactUrl } from '../../store/connection.js';
import { DEFAULT_HEALTH_PORT } from '../../config/schema.js';
import { DEFAULT_PREFIX } from '../../core/keys.js';
import { TenantManager } from '../../tenancy/manager.js';
import { statsToJson } from '../../tenancy/stats.js';
import { chooseHealthPort, healthPortMovedMessage, healthPortTakenError } from '../../worker/health-port.js';
import { startWorker } from '../../worker/start.js';
import { ExitCode } from '../exit.js';
import { print, renderTable } from '../output.js';
import { handler } from '../run.js';

interface DevArgs {
  'backend-url'?: string;
  prefix: string;
  'redis-port': number;
  'data-dir': string;
  'health-port'?: number;
  rate: number;
  duration: number;
}

/**
 * `turbine dev`: everything a newcomer needs to see Turbine work, in one command. It uses the
 * given Redis, or the one on localhost, or starts its own; creates demo tenants; runs a worker
 * with demo tasks and submits traffic; and prints where to look.
 */
export const devCommand: CommandModule<object, DevArgs> = {
  command: 'dev',
  describe: 'Run a local demo: Redis (started if needed), demo tenants, a worker and traffic',
  builder: (yargs) =>
    yargs
      .option('backend-url', { type: 'string', describe: 'Redis to use instead of a local one [env TURBINE_BACKEND_URL]' })
      .option('prefix', { type: 'string', default: process.env.TURBINE_PREFIX ?? DEFAULT_PREFIX, describe: 'Key prefix' })
      .option('redis-port', { type: 'number', default: 6379, describe: 'Port of the local Redis to use, or to start when none answers' })
      .option('data-dir', { type: 'string', default: '.turbine', describe: 'Where a Redis started by this command keeps its data' })
      // No yargs default: the handler must tell a port the user chose (a clash is their error)
      // from the default (taken by a worker already running on this host: move to a free one).
      .option('health-port', {
        type: 'number',
        defaultDescription: String(DEFAULT_HEALTH_PORT),
        describe: 'Port of /healthz, /readyz and /metrics (0: any free port)',
      })
      .option('rate', { type: 'number', default: 40, describe: 'Demo tasks submitted per second' })
      .option('duration', { type: 'number', default: 0, describe: 'Stop after this many seconds (0: run until Ctrl-C)' }),
  handler: handler(async (argv) => {
    const explicitUrl = argv.backendUrl ?? (process.env.TURBINE_BACKEND_URL || undefined);
    const redis: LocalRedis = explicitUrl
      ? { url: explicitUrl, started: false, stop: async () => undefined }
      : await findOrStartRedis(argv.redisPort, argv.dataDir);
    print(
      redis.started
        ? `Started redis-server on ${redis.url} (data in ${argv.dataDir}/redis-${argv.redisPort})`
        : `Using Redis at ${redactUrl(redis.url)}`,
    );
    const manager = new TenantManager({ backendUrl: redis.url, prefix: argv.prefix, actor: 'turbine-dev' });
    const app = createDemoApp(redis.url, argv.prefix);
    const done = new Map<string, number>();
    const rejected = new Map<string, number>();
    app.on('task:rejected', (e) => rejected.set(e.tenantId, (rejected.get(e.tenantId) ?? 0) + 1));
    try {
      const created = await ensureDemoTenants(manager);
      print(created.length ? `Created demo tenants: ${created.join(', ')}` : 'Demo tenants already exist');
      const portSource = argv.healthPort === undefined ? 'default' : 'flag';
      const requestedPort = argv.healthPort ?? DEFAULT_HEALTH_PORT;
      const healthPort = await chooseHealthPort(requestedPort, '127.0.0.1', portSource);
      const worker = await startWorker({
        app,
        concurrency: 20,
        health: { port: healthPort.port, host: '127.0.0.1' },
        log: { level: 'error' },
      }).catch((error: unknown) => {
        const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        throw taken ? healthPortTakenError(requestedPort, portSource, undefined) : error;
      });
      if (healthPort.movedFrom !== null) print(`Note: ${healthPortMovedMessage(healthPort.movedFrom, worker.healthPort)}`);
      // A retried run is not done: each task counts once, when it succeeds or is dead-lettered.
      worker.on('task:finished', (e) => {
        if (e.outcome !== 'retried') done.set(e.tenantId, (done.get(e.tenantId) ?? 0) + 1);
      });
      await worker.ready();
      printWhereToLook(worker.healthPort ?? requestedPort, explicitUrl ? redis.url : undefined, argv.prefix);
      const traffic = startTraffic(app, argv.rate);
      const view = new StatusView();
      await runUntilStopped(argv.duration, async () => {
        const rows = [];
        for (const t of DEMO_TENANTS) {
          const stats = statsToJson(await manager.getTenantStats(t.tenantId));
          rows.push({ tenant: t.tenantId, ...stats, done: done.get(t.tenantId) ?? 0, rejected: rejected.get(t.tenantId) ?? 0 });
        }
        view.show(
          renderTable(rows, [
            { header: 'TENANT', value: (r) => r.tenant },
            { header: 'RUNNING', value: (r) => String(r.concurrent_tasks) },
            { header: 'HELD', value: (r) => String(r.held_tasks) },
            { header: 'PENDING', value: (r) => String(r.pending_tasks) },
            { header: 'DONE', value: (r) => String(r.done) },
            { header: 'REJECTED', value: (r) => String(r.rejected) },
            { header: 'TASKS THIS HOUR', value: (r) => String(r.tasks_hour) },
          ]),
        );
      });
      view.release();
      print('Stopping: no more traffic, the worker drains…');
      await traffic.stop();
      await worker.close();
    } finally {
      await app.close();
      await manager.close();
      await redis.stop();
    }
    print(redis.started ? 'Stopped (the worker drained, then redis-server).' : 'Stopped (the worker drained).');
    return ExitCode.Ok;
  }),
};

function printWhereToLook(port: number, backendUrl: string | undefined, prefix: string): void {
  const flags = [backendUrl ? `--backend-url ${redactUrl(backendUrl)}` : '', prefix !== DEFAULT_PREFIX ? `--prefix ${prefix}` : '']
    .filter(Boolean)
    .join(' ');
  const cli = (args: string) => `npx turbine ${args}${flags ? ` ${flags}` : ''}`;
  print(`
Turbine is running. Where to look:
  health   http://127.0.0.1:${port}/healthz   http://127.0.0.1:${port}/readyz
  metrics  http://127.0.0.1:${port}/metrics
  tenants  ${cli('tenant list')}
           ${cli('tenant stats acme-corp')}   (max_concurrent_tasks 3: watch held_tasks)
           ${cli('tenant stats globex')}      (max_tasks_per_hour 300: rejections once it is reached)
  failures ${cli('dlq list')}
Press Ctrl-C to stop.
`);
}

/** Calls `report` every 2 s until Ctrl-C / SIGTERM or the duration ends. */
async function runUntilStopped(durationSeconds: number, report: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => void report().catch(() => undefined), 2000);
    const stop = (): void => {
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (durationSeconds > 0) setTimeout(stop, durationSeconds * 1000);
  });
  await report();
}
