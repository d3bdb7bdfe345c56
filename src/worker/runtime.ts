import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import { configSchema, type TurbineConfig, type TurbineConfigInput } from '../config/schema.js';
import { decodeTask } from '../core/envelope.js';
import { Reconciler } from '../dispatcher/reconciler.js';
import { SlotClient, type SlotRef } from '../dispatcher/slots.js';
import { ConfigError, coerceError } from '../core/errors.js';
import { TypedEmitter } from '../core/events.js';
import { createWorkerClient, describeConnectError, redactUrl, type RedisClient } from '../store/connection.js';
import { assertPrefixFits } from '../store/cluster.js';
import { turbineBackend } from '../dispatcher/bullmq-backend.js';
import type { Turbine } from '../tasks/app.js';
import type { TaskDefinition } from '../tasks/task.js';
import { KeyLayout } from '../core/keys.js';
import type { WorkerEvents } from './events.js';
import { HealthServer } from './health.js';
import { attachWorkerMetrics, type MetricsHandle } from '../metrics/worker.js';
import { settledWithin } from '../core/deadline.js';
import { createLogger, type Logger } from './logger.js';
import { TaskProcessor, runningKey, type RunningTask } from './processor.js';
import { TenantPolicyCache } from './tenant-policy.js';
import { WriteProbe } from './write-probe.js';

export interface StartWorkerOptions extends Omit<TurbineConfigInput, 'app'> {
  /** The app whose tasks to run (its backend URL and prefix are the defaults). */
  app?: Turbine;
  /** Tasks to run, instead of (or besides) an app's. */
  tasks?: Iterable<TaskDefinition>;
  /** A logger of your own; else JSON logs on stdout at `log.level`. */
  logger?: Logger;
  /**
   * An ioredis `Redis` or `Cluster` to derive the worker's connections from, instead of
   * `backendUrl` (default: the app's, when it was given one). It is not closed by the worker.
   */
  connection?: RedisClient;
}

/** Longest wait for one step of a shutdown that needs Redis (which may be gone). */
const STEP_DEADLINE_MS = 3000;

/**
 * A running `turbine-worker`: one BullMQ worker per queue, each task run through Turbine's
 * claim / release, a health server, and (when elected) the reconciler.
 */
export class WorkerRuntime extends TypedEmitter<WorkerEvents> {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly config: TurbineConfig;
  readonly keys: KeyLayout;
  readonly queues: string[];
  readonly logger: Logger;
  readonly health: HealthServer;
  healthPort: number | null = null;
  private readonly tasks: Map<string, TaskDefinition>;
  private readonly running = new Map<string, RunningTask>();
  private readonly workers: Worker[] = [];
  private readonly workerClients: RedisClient[] = [];
  private client: RedisClient | null = null;
  private slots: SlotClient | null = null;
  private policies: TenantPolicyCache | null = null;
  private processor: TaskProcessor | null = null;
  private reconciler: Reconciler | null = null;
  private metrics: MetricsHandle | null = null;
  private redisReady = false;
  /** Writes succeed: a frozen Redis keeps its sockets open and a replica answers reads, so status alone is not enough. */
  private probe: WriteProbe | null = null;
  /** The client passed in (by options or the app) that the worker's connections are derived from. */
  private readonly connection: RedisClient | undefined;
  private closing: Promise<void> | null = null;
  private forceNow: (() => void) | null = null;
  private readonly lastErrorLog = new Map<string, number>();

  constructor(options: StartWorkerOptions) {
    super();
    const { app, tasks, logger, connection, ...rest } = options;
    const parsed = configSchema.safeParse({
      ...rest,
      backendUrl: rest.backendUrl ?? app?.backendUrl,
      prefix: rest.prefix ?? app?.keys.prefix,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`Invalid worker option ${issue.path.join('.')}: ${issue.message}`);
    }
    this.config = parsed.data;
    this.connection = connection ?? (rest.backendUrl === undefined ? app?.connection : undefined);
    assertPrefixFits(this.connection ?? this.config.backendUrl, this.config.prefix);
    this.keys = new KeyLayout(this.config.prefix);
    this.logger = logger ?? createLogger(this.config.log.level);
    this.tasks = new Map(app?.tasks ?? []);
    for (const definition of tasks ?? []) this.tasks.set(definition.name, definition);
    if (this.tasks.size === 0) throw new ConfigError('The worker has no tasks to run: pass an app or tasks');
    const taskQueues = [...new Set([...this.tasks.values()].map((t) => t.queue))].sort();
    this.queues = this.config.queues.length ? [...new Set(this.config.queues)] : taskQueues;
    const idle = this.queues.filter((q) => !taskQueues.includes(q));
    if (idle.length) {
      this.logger.warn({ queues: idle }, 'no task of the app uses these queues; their tasks will be dead-lettered as unknown');
    }
    this.health = new HealthServer(() => this.readinessProblems());
  }

  /** Connects, starts consuming and serving health; resolves once the health port listens. */
  async start(): Promise<void> {
    const url = this.backendDescription;
    this.logger.info(
      { workerId: this.id, queues: this.queues, concurrency: this.config.concurrency, backend: url, prefix: this.config.prefix },
      'starting turbine-worker',
    );
    if (this.config.health.port >= 0) {
      this.healthPort = await this.health.listen(this.config.health.port, this.config.health.host);
      this.logger.info({ port: this.healthPort }, 'health server listening on /healthz and /readyz');
    }
    // Not awaited: with Redis down at start the worker waits and reconnects, commands queue meanwhile.
    this.client = createWorkerClient(this.connection ?? this.config.backendUrl);
    this.watchRedis(this.client, url);
    this.probe = new WriteProbe(this.client, this.keys.writeProbe(this.id), (problem) => {
      if (problem) this.logger.warn({ backend: url, problem }, 'not ready: Redis does not take writes');
      else if (this.redisReady) this.logger.info({ backend: url }, 'Redis takes writes; ready');
    });
    this.probe.start();
    this.slots = new SlotClient(this.client, this.keys, this.config.lockDurationMs);
    this.policies = new TenantPolicyCache(this.client, this.keys);
    this.policies.listen().catch((error: unknown) => this.reportError(coerceError(error)));
    const processor = (this.processor = new TaskProcessor({
      tasks: this.tasks,
      slots: this.slots,
      policies: this.policies,
      logger: this.logger,
      emit: (event, payload) => this.safeEmit(event, payload),
      running: this.running,
    }));
    if (this.config.metrics.enabled) this.metrics = attachWorkerMetrics(this);
    for (const queue of this.queues) this.workers.push(this.startQueueWorker(queue, processor));
    this.reconciler = new Reconciler(
      this.client,
      this.keys,
      {
        workerId: this.id,
        queues: this.queues,
        concurrency: this.config.concurrency,
        intervalMs: this.config.reconciler.intervalMs,
        staleAfterMs: this.config.reconciler.staleAfterMs,
        window: this.config.dispatch.window,
        windowFactor: this.config.dispatch.windowFactor,
        minWindow: this.config.dispatch.minWindow,
      },
      (result) => {
        this.safeEmit('reconciler:pass', result);
        if (result.promoted || result.leasesDropped || result.slotsDropped || result.deferredDropped) {
          this.logger.info(result, 'reconciler repaired dispatch state');
        }
      },
      (error) => this.reportError(error),
    );
    this.reconciler.start();
  }

  /** Resolves when every queue's worker is consuming. */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.safeEmit('worker:ready', { queues: this.queues });
  }

  readinessProblems(): string[] {
    const problems: string[] = [];
    if (this.closing) problems.push('shutting down');
    if (!this.redisReady) problems.push(`not connected to Redis at ${this.backendDescription}`);
    // Also while reconnecting: a server that answers READONLY is reconnected to, again and again.
    if (this.probe?.problem) problems.push(this.probe.problem);
    for (const worker of this.workers) if (!worker.isRunning()) problems.push(`queue ${worker.name}: not consuming`);
    if (this.workers.length === 0) problems.push('not started');
    return problems;
  }

  /** Where the worker's Redis is, for messages (password redacted). */
  get backendDescription(): string {
    return this.connection ? 'the connection passed in' : redactUrl(this.config.backendUrl);
  }

  /** The worker's Redis client (for scripts and Redis-derived gauges). */
  get redis(): RedisClient {
    if (!this.client) throw new Error('The worker is not started');
    return this.client;
  }

  /** Tasks running now in this process. */
  get runningCount(): number {
    return this.running.size;
  }

  /**
   * Stops taking tasks and lets running ones finish within the grace period; then (or at once
   * with `force`, or on a second call with `force`) stops them and puts them back in their
   * queue, so they are redelivered, not lost.
   */
  close(options: { force?: boolean } = {}): Promise<void> {
    if (this.closing) {
      if (options.force) this.forceNow?.();
      return this.closing;
    }
    // Set up before anything is awaited, so that a second signal always finds it.
    const forced = new Promise<'forced'>((resolve) => {
      this.forceNow = () => resolve('forced');
      if (options.force) resolve('forced');
    });
    this.closing = this.shutdown(forced, options.force ?? false);
    return this.closing;
  }

  private async shutdown(forced: Promise<'forced'>, force: boolean): Promise<void> {
    this.logger.info({ running: this.running.size, graceMs: force ? 0 : this.config.shutdownGraceMs }, 'stopping: no new tasks');
    const stoppingReconciler = this.reconciler?.stop(STEP_DEADLINE_MS);
    const grace = new Promise<'forced'>((resolve) => setTimeout(() => resolve('forced'), this.config.shutdownGraceMs).unref());
    const drained = Promise.all(this.workers.map((w) => w.close())).then(() => 'drained' as const);
    const how = await Promise.race([drained, forced, grace]);
    if (how === 'forced') {
      this.logger.warn({ running: this.running.size }, 'stopping now: running tasks are put back in their queues');
      // With Redis away this cannot finish: the locks then expire and BullMQ redelivers the tasks.
      if (!(await settledWithin(this.requeueRunning(), STEP_DEADLINE_MS))) {
        this.logger.warn('could not put running tasks back (Redis unreachable): they are redelivered when their locks expire');
      }
      // BullMQ's close() returns the graceful close already under way, which waits for the
      // handlers: do not wait for it; the connections are cut below.
      for (const worker of this.workers) void worker.close(true).catch(() => undefined);
    }
    await stoppingReconciler;
    this.probe?.stop();
    this.processor?.close();
    this.policies?.close();
    await settledWithin(this.metrics?.close(), STEP_DEADLINE_MS);
    await this.health.close();
    for (const client of this.workerClients) client.disconnect();
    if (this.client && !(await settledWithin(this.client.quit(), STEP_DEADLINE_MS))) this.client.disconnect();
    this.logger.info('stopped');
  }

  private async requeueRunning(): Promise<void> {
    const tasks = [...this.running.values()];
    this.running.clear();
    await Promise.all(
      tasks.map(async (task) => {
        const { ref, job, token } = task;
        task.abort(new Error('worker stopping'));
        try {
          // Release first: once back in the wait list another worker may claim it at once.
          await this.slots!.release(ref, { outcome: 'requeued' }, token);
          await job.moveToWait(token);
        } catch (error) {
          // Not fatal: the lock expires and BullMQ redelivers the task as stalled.
          this.reportError(coerceError(error), ref.queue);
        }
      }),
    );
  }

  private startQueueWorker(queue: string, processor: TaskProcessor): Worker {
    const connection = createWorkerClient(this.connection ?? this.config.backendUrl);
    this.workerClients.push(connection);
    // Two parameters: BullMQ then makes no AbortController per job (the processor has its own, lazily).
    const worker = new Worker(queue, (job, token) => processor.process(job, token ?? ''), {
      connection,
      prefix: this.keys.bullPrefix(),
      concurrency: this.config.concurrency,
      lockDuration: this.config.lockDurationMs,
      stalledInterval: this.config.stalledIntervalMs,
      maxStalledCount: this.config.maxStalledCount,
      autorun: true,
    }, turbineBackend(connection, this.keys.bullPrefix()));
    worker.on('error', (error) => this.reportError(error, queue));
    worker.on('locksRenewed', ({ jobIds }) => {
      const refs = jobIds
        .map((id) => this.running.get(runningKey(queue, id))?.ref)
        .filter((ref): ref is SlotRef => ref !== undefined);
      this.slots!.renew(refs).catch((error: unknown) => this.reportError(coerceError(error), queue));
    });
    worker.on('failed', (job, error) => {
      // BullMQ fails a task that stalled too often without calling the processor.
      if (job?.deferredFailure && error.message === job.deferredFailure) {
        this.deadLetterStalled(job).catch((e: unknown) => this.reportError(coerceError(e), queue));
      }
    });
    return worker;
  }

  private async deadLetterStalled(job: Job): Promise<void> {
    let tenantId = '';
    try {
      tenantId = decodeTask(job.data).tenant_id;
    } catch {
      // Unknown tenant: the entry is still written, without a tenant.
    }
    const ref = { tenantId, queue: job.queueName, jobId: job.id! };
    await this.slots!.release(ref, {
      outcome: 'dead',
      attemptsMade: job.attemptsMade,
      reason: 'stalled',
      error: { message: job.deferredFailure ?? 'stalled', stack: '' },
    });
    const about = { tenantId, queue: job.queueName, task: job.name, taskId: job.id! };
    this.safeEmit('task:dead-lettered', { ...about, reason: 'stalled' });
    this.safeEmit('task:finished', { ...about, outcome: 'dead_lettered', durationMs: null });
    this.logger.warn({ ...about, reason: 'stalled' }, 'task dead-lettered: its workers died too often while running it');
  }

  private watchRedis(client: RedisClient, url: string): void {
    this.redisReady = client.status === 'ready';
    client.on('ready', () => {
      if (!this.redisReady) this.logger.info({ backend: url }, 'connected to Redis');
      this.redisReady = true;
      this.safeEmit('redis:status', { ready: true });
    });
    const down = (): void => {
      if (!this.redisReady || this.closing) return;
      this.redisReady = false;
      this.logger.warn({ backend: url }, 'lost the connection to Redis; reconnecting with backoff');
      this.safeEmit('redis:status', { ready: false });
    };
    client.on('close', down);
    client.on('reconnecting', down);
    client.on('error', (error: Error) => {
      if (this.redisReady || !this.firstTimeIn('waiting-for-redis')) return;
      this.logger.warn({ backend: url, reason: describeConnectError(error) }, 'waiting for Redis; reconnecting with backoff');
    });
  }

  /** Logs an error at most once per 5 s per message, so an outage does not flood the logs. */
  private reportError(error: Error, queue?: string): void {
    this.safeEmit('worker:error', { error, queue });
    if (this.firstTimeIn(`${queue ?? ''}:${error.message}`)) this.logger.error({ queue, err: error }, 'worker error');
  }

  /** True at most once per 5 s for a key. */
  private firstTimeIn(key: string): boolean {
    const now = Date.now();
    if ((this.lastErrorLog.get(key) ?? 0) + 5000 > now) return false;
    this.lastErrorLog.set(key, now);
    return true;
  }
}

/** Starts a worker; `await handle.ready()` to wait until it consumes, `handle.close()` to stop. */
export async function startWorker(options: StartWorkerOptions): Promise<WorkerRuntime> {
  const runtime = new WorkerRuntime(options);
  await runtime.start();
  return runtime;
}
