import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job, type Processor } from 'bullmq';
import { Redis, type Cluster } from 'ioredis';
import { pino } from 'pino';
// The package by its name, as users import it.
import { DEFAULT_RETENTION } from '../../src/tasks/retention.js';
import { Turbine, TenantManager, startWorker, type TenantQuotas, type WorkerRuntime } from 'turbine-tasks';
import type * as WorkerLogger from '../../src/worker/logger.js';

// turbine-worker's own logger (the package does not export it), from beside the module the
// package's name leads to (dist/ under bench/tsconfig.json, as `npm run bench` runs; src/ where
// the root tsconfig.json's paths apply): the very module the worker uses, which knows the
// loggers it made.
const { createLogger } = (await import(new URL('./worker/logger.js', import.meta.resolve('turbine-tasks')).href)) as typeof WorkerLogger;

/**
 * Job options of the peer's jobs: those Turbine gives a task by default (3 retries, exponential
 * backoff, results kept a day or 10 000 per queue, failures a week or 10 000; src/tasks/task.ts
 * and retention.ts), so that both sides store and retire the same jobs and only Turbine's own
 * bookkeeping differs.
 */
/**
 * Finished jobs kept per queue on both sides: above any benchmark's size (the default keeps
 * 10 000), so that a benchmark can wait for the completed set to hold every task it ran.
 */
const BENCH_RETAINED = 1_000_000;

export const PEER_JOB_OPTIONS = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.2 },
  removeOnComplete: { age: DEFAULT_RETENTION.keepCompletedSeconds, count: BENCH_RETAINED },
  removeOnFail: { age: DEFAULT_RETENTION.keepFailedSeconds, count: BENCH_RETAINED },
};

export const uniqueName = (what: string): string => `${what}-${randomUUID().slice(0, 8)}`;

/** Turbine's side of a run: an app, its tenants, and the in-process workers started for it. */
export class TurbineSide {
  readonly app: Turbine;
  readonly manager: TenantManager;
  private readonly workers: WorkerRuntime[] = [];

  /**
   * `prefix`: with a hash tag on Redis Cluster; `shards`: how many the tenants are spread over;
   * `retention`: `default` keeps results as an app does by default (the soak measures it),
   * `all` keeps every finished job for the benchmarks that wait on the completed set.
   */
  constructor(
    readonly url: string,
    readonly prefix = uniqueName('bench'),
    readonly shards = 1,
    retention: 'all' | 'default' = 'all',
  ) {
    this.app = new Turbine({
      backendUrl: url,
      prefix: this.prefix,
      shards,
      ...(retention === 'all' ? { results: { keepCompletedCount: BENCH_RETAINED, keepFailedCount: BENCH_RETAINED } } : {}),
    });
    this.manager = new TenantManager({ backendUrl: url, prefix: this.prefix, shards, actor: 'bench' });
  }

  /** `pool`: the worker pool that runs their tasks (the shared one when not given). */
  async createTenants(ids: readonly string[], quotas: TenantQuotas = {}, pool?: string): Promise<void> {
    // A thousand at a time: the tenant-scale benchmarks create tens of thousands.
    for (let i = 0; i < ids.length; i += 1000) {
      await Promise.all(
        ids.slice(i, i + 1000).map((tenantId) => this.manager.createTenant({ tenantId, name: tenantId, quotas, ...(pool ? { pool } : {}) })),
      );
    }
  }

  /**
   * A worker in this process, configured as `turbine-worker` runs by default, except that it
   * logs errors only (at info it logs every task; a plain BullMQ worker logs nothing) and needs no
   * fixed port. With `logLevel: 'info'` it logs as by default, with turbine-worker's own logger, a
   * JSON line per task written asynchronously (as to turbine-worker's stdout) to /dev/null, so the
   * cost of logging is measured without a terminal's.
   */
  async startWorker(
    concurrency: number,
    attach: (worker: WorkerRuntime) => void = () => undefined,
    logLevel: 'error' | 'info' = 'error',
  ): Promise<WorkerRuntime> {
    const logger =
      logLevel === 'info'
        ? createLogger('info', pino.destination({ dest: '/dev/null', sync: false }))
        : undefined;
    const worker = await startWorker({
      app: this.app,
      backendUrl: this.url,
      concurrency,
      health: { port: 0, host: '127.0.0.1' },
      log: { level: logLevel },
      logger,
    });
    // Before anything is awaited: the worker may start tasks as soon as its first reply arrives.
    attach(worker);
    this.workers.push(worker);
    await worker.ready();
    return worker;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close({ force: true })));
    await this.app.close();
    await this.manager.close();
  }
}

/** The peer's side: a plain BullMQ queue and workers on the same Redis. */
export class PeerSide {
  readonly queueName = 'work';
  readonly queue: Queue;
  private readonly otherQueues: Queue[] = [];
  private readonly connections: (Redis | Cluster)[] = [];
  private readonly workers: Worker[] = [];

  /** `connect` makes the peer's connections (default: a Redis on `url`); `prefix` with a hash tag on Redis Cluster. */
  constructor(
    readonly url: string,
    readonly prefix = uniqueName('peer'),
    private readonly connect: (maxRetriesPerRequest: number | null) => Redis | Cluster = (maxRetriesPerRequest) =>
      new Redis(url, { maxRetriesPerRequest }),
  ) {
    this.queue = new Queue(this.queueName, { connection: this.connection(1), prefix: this.prefix });
  }

  /**
   * Another queue under the same prefix, closed with the side: how BullMQ users give a group of
   * jobs workers of their own (a queue per worker pool).
   */
  otherQueue(name: string): Queue {
    const queue = new Queue(name, { connection: this.connection(1), prefix: this.prefix });
    this.otherQueues.push(queue);
    return queue;
  }

  /** A worker created stopped: call `run()` (not awaited) once listeners are attached. */
  async worker(concurrency: number, processor: Processor): Promise<Worker> {
    const worker = new Worker(this.queueName, processor, {
      connection: this.connection(null),
      prefix: this.prefix,
      concurrency,
      autorun: false,
    });
    worker.on('error', () => undefined);
    this.workers.push(worker);
    await worker.waitUntilReady();
    return worker;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
    await Promise.all([this.queue, ...this.otherQueues].map((q) => q.close()));
    for (const c of this.connections) c.disconnect();
  }

  private connection(maxRetriesPerRequest: number | null): Redis | Cluster {
    const client = this.connect(maxRetriesPerRequest);
    client.on('error', () => undefined);
    this.connections.push(client);
    return client;
  }
}

export type PeerJob = Job<Record<string, unknown>>;
