import { Redis } from 'ioredis';
import { shardPrefixes } from '../../src/store/shards.js';
import { Turbine, type TurbineOptions } from '../../src/tasks/app.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import type { TenantQuotas } from '../../src/tenancy/quotas.js';
import type { Tenant } from '../../src/tenancy/tenant.js';
import type { StartWorkerOptions, WorkerRuntime } from '../../src/worker/runtime.js';
import { startWorker } from '../../src/worker/start.js';
import { deletePrefix, redisUrl, uniquePrefix } from './context.js';

/**
 * One test's Turbine world: a unique prefix, an app, a tenant manager and the workers it
 * starts, all closed and deleted by `close()`. With `appOptions.shards`, the manager and the
 * workers use as many shards as the app.
 */
export class TestWorld {
  readonly app: Turbine;
  readonly manager: TenantManager;
  readonly raw: Redis;
  private readonly workers: WorkerRuntime[] = [];
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  /** `url` defaults to the run's shared Redis; pass a server of the test's own to restart it. */
  constructor(
    readonly url: string = redisUrl(),
    readonly prefix: string = uniquePrefix(),
    appOptions: Omit<TurbineOptions, 'backendUrl' | 'prefix'> = {},
  ) {
    this.app = new Turbine({ ...appOptions, backendUrl: url, prefix: this.prefix });
    this.manager = new TenantManager({ backendUrl: url, prefix: this.prefix, shards: appOptions.shards, actor: 'test' });
    this.raw = new Redis(url, { maxRetriesPerRequest: 1 });
    this.raw.on('error', () => undefined);
  }

  /** Creates a tenant named after its id. */
  tenant(tenantId: string, quotas: TenantQuotas = {}): Promise<Tenant> {
    return this.manager.createTenant({ tenantId, name: tenantId, quotas });
  }

  /** Runs `cleanup` when the world closes (last registered, first run). */
  defer(cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup);
  }

  /** Starts an in-process worker for this world's app (silent logs, an ephemeral health port). */
  async startWorker(options: Partial<StartWorkerOptions> = {}): Promise<WorkerRuntime> {
    const worker = await startWorker({
      app: this.app,
      backendUrl: this.url,
      concurrency: 10,
      health: { port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
      metrics: { enabled: false },
      ...options,
    });
    this.workers.push(worker);
    await worker.ready();
    return worker;
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    await Promise.all(this.workers.map((w) => w.close({ force: true })));
    await this.app.close();
    await this.manager.close();
    for (const prefix of shardPrefixes(this.prefix, this.app.shards.count)) await deletePrefix(this.raw, prefix);
    await this.raw.quit();
  }
}

/** Counts handlers running at once, and the most seen. */
export class ConcurrencyProbe {
  running = 0;
  max = 0;
  completed = 0;

  async around<T>(fn: () => Promise<T>): Promise<T> {
    this.running += 1;
    this.max = Math.max(this.max, this.running);
    try {
      return await fn();
    } finally {
      this.running -= 1;
      this.completed += 1;
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve function, to let a test release handlers when it chooses. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
