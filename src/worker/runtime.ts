import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { configSchema, type TurbineConfig, type TurbineConfigInput } from '../config/schema.js';
import { isConnectionError } from '../core/classify.js';
import { settledWithin } from '../core/deadline.js';
import { ConfigError, coerceError } from '../core/errors.js';
import { TypedEmitter } from '../core/events.js';
import { KeyLayout } from '../core/keys.js';
import { Reconciler } from '../dispatcher/reconciler.js';
import { SlotClient } from '../dispatcher/release.js';
import { writeUsageSettings } from '../dispatcher/usage-settings.js';
import { assertPrefixFits } from '../store/cluster.js';
import { shardPrefixes } from '../store/shards.js';
import { createWorkerClient, describeConnectError, redactUrl, type RedisClient } from '../store/connection.js';
import type { Turbine } from '../tasks/app.js';
import type { TaskDefinition } from '../tasks/task.js';
import { startConsumer, type Consumer } from './consumers.js';
import type { WorkerEvents } from './events.js';
import { HealthServer, type RouteHandler } from './health.js';
import { LogLimiter } from './log-limiter.js';
import { createLogger, type Logger } from './logger.js';
import type { Attachment, ObservedWorker } from './observed.js';
import { TaskProcessor, type RunningTask } from './processor.js';
import { RedisHealth } from './redis-health.js';
import { STEP_DEADLINE_MS, drainConsumers } from './shutdown.js';
import { TenantPolicyCache } from './tenant-policy.js';

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

/** How long a connection error waits for Redis health to notice an outage (see reportError). */
const CONNECTION_ERROR_GRACE_MS = 1000;

/** Attaches observers (metrics, …) once the worker's connection exists, before it consumes. */
export type Attach = (worker: ObservedWorker) => Attachment[];

/**
 * A running `turbine-worker`, its lifecycle only: start (connection, health port, one consumer
 * per queue, the reconciler), readiness, and a graceful or forced stop. Tasks are run by the
 * {@link TaskProcessor}; consumers are wired in `consumers.ts`, Redis health watched in
 * `redis-health.ts`, draining done in `shutdown.ts`.
 */
export class WorkerRuntime extends TypedEmitter<WorkerEvents> implements ObservedWorker {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly config: TurbineConfig;
  /** The keys of shard 0 (with one shard, the only one). */
  readonly keys: KeyLayout;
  /** Every shard's keys: the worker consumes its queues on each. */
  readonly shards: readonly KeyLayout[];
  readonly queues: string[];
  readonly logger: Logger;
  readonly health: HealthServer;
  healthPort: number | null = null;
  private readonly tasks: Map<string, TaskDefinition>;
  private readonly running = new Map<string, RunningTask>();
  private readonly consumers: Consumer[] = [];
  private readonly attachments: Attachment[] = [];
  private readonly errors = new LogLimiter();
  private client: RedisClient | null = null;
  /** The client passed in (by options or the app) that the worker's connections are derived from. */
  private readonly connection: RedisClient | undefined;
  private redisHealth: RedisHealth | null = null;
  private readonly policies: TenantPolicyCache[] = [];
  private readonly processors: TaskProcessor[] = [];
  private readonly reconcilers: Reconciler[] = [];
  private closing: Promise<void> | null = null;
  private forceNow: (() => void) | null = null;
  private strayConsumerReported = false;

  constructor(options: StartWorkerOptions) {
    super();
    const { app, tasks, logger, connection, ...rest } = options;
    this.connection = connection ?? (rest.backendUrl === undefined ? app?.connection : undefined);
    const parsed = configSchema.safeParse({
      ...rest,
      backendUrl: rest.backendUrl ?? app?.backendUrl,
      prefix: rest.prefix ?? app?.prefix,
      shards: rest.shards ?? app?.shards.count,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`Invalid worker option ${issue.path.join('.')}: ${issue.message}`);
    }
    this.config = parsed.data;
    this.shards = shardPrefixes(this.config.prefix, this.config.shards).map((prefix) => new KeyLayout(prefix));
    this.keys = this.shards[0]!;
    assertPrefixFits(this.connection ?? this.config.backendUrl, this.keys.prefix);
    this.logger = logger ?? createLogger(this.config.log.level);
    this.tasks = new Map(app?.tasks ?? []);
    for (const definition of tasks ?? []) this.tasks.set(definition.name, definition);
    if (this.tasks.size === 0) throw new ConfigError('The worker has no tasks to run: pass an app or tasks');
    const taskQueues = [...new Set([...this.tasks.values()].map((t) => t.queue))].sort();
    this.queues = this.config.queues.length ? [...new Set(this.config.queues)] : taskQueues;
    const idle = this.queues.filter((q) => !taskQueues.includes(q));
    if (idle.length) {
      // A worker on such a queue could only dead-letter its tasks as unknown, so it is refused.
      throw new ConfigError(
        `No task of the app uses the queue${idle.length > 1 ? 's' : ''} ${idle.map((q) => `'${q}'`).join(', ')} ` +
          `given in --queues (or TURBINE_QUEUES); the app's queues are: ${taskQueues.join(', ')}`,
      );
    }
    this.health = new HealthServer(() => this.readinessProblems());
  }

  /**
   * Connects, starts consuming and serving health; resolves once the health port listens.
   * `attach` adds observers (see `startWorker`) before the first task is fetched.
   */
  async start(attach?: Attach): Promise<void> {
    const url = this.backendDescription;
    this.logger.info(
      {
        workerId: this.id,
        queues: this.queues,
        pool: this.config.pool,
        concurrency: this.config.concurrency,
        backend: url,
        prefix: this.config.prefix,
        shards: this.shards.length,
      },
      'starting turbine-worker',
    );
    if (this.config.health.port >= 0) {
      this.healthPort = await this.health.listen(this.config.health.port, this.config.health.host);
      this.logger.info({ port: this.healthPort }, 'health server listening on /healthz and /readyz');
    }
    // Not awaited: with Redis down at start the worker waits and reconnects, commands queue meanwhile.
    const client = (this.client = createWorkerClient(this.connection ?? this.config.backendUrl));
    this.redisHealth = new RedisHealth(client, url, this.shards.map((keys) => keys.writeProbe(this.id)), this.logger, (ready) =>
      this.safeEmit('redis:status', { ready }),
    );
    this.redisHealth.start();
    for (const keys of this.shards) this.startShard(client, keys, attach && keys === this.keys ? attach : undefined);
  }

  /**
   * Consumes every queue of the worker on one shard: its own slot client, tenant policies,
   * processor, one BullMQ worker per queue and its reconciler, all on the shard's keys.
   * Observers are attached once, with shard 0's processor in place.
   */
  private startShard(client: RedisClient, keys: KeyLayout, attach: Attach | undefined): void {
    writeUsageSettings(client, keys, this.config.metering).catch((error: unknown) => this.reportError(coerceError(error)));
    const slots = new SlotClient(client, keys, this.config.lockDurationMs);
    const policies = new TenantPolicyCache(client, keys);
    policies.listen().catch((error: unknown) => this.reportError(coerceError(error)));
    this.policies.push(policies);
    const emit = <E extends keyof WorkerEvents & string>(event: E, payload: WorkerEvents[E]): void => this.safeEmit(event, payload);
    const processor = new TaskProcessor({ tasks: this.tasks, slots, policies, logger: this.logger, emit, running: this.running });
    this.processors.push(processor);
    if (attach) this.attachments.push(...attach(this));
    const deps = {
      source: this.connection ?? this.config.backendUrl,
      config: this.config,
      keys,
      processor,
      slots,
      running: this.running,
      logger: this.logger,
      emit,
      reportError: (error: Error, queue?: string) => this.reportError(error, queue),
    };
    for (const queue of this.queues) this.consumers.push(startConsumer(queue, deps));
    this.reconcilers.push(this.startReconciler(client, keys));
  }

  /** Resolves when every queue's worker is consuming. */
  async ready(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.worker.waitUntilReady()));
    this.safeEmit('worker:ready', { queues: this.queues });
  }

  readinessProblems(): string[] {
    const problems: string[] = [];
    if (this.closing) problems.push('shutting down');
    problems.push(...(this.redisHealth?.problems() ?? ['not connected to Redis']));
    for (const { worker } of this.consumers) if (!worker.isRunning()) problems.push(`queue ${worker.name}: not consuming`);
    if (this.consumers.length === 0) problems.push('not started');
    return problems;
  }

  addRoute(path: string, handler: RouteHandler): void {
    this.health.addRoute(path, handler);
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
    const graceMs = force ? 0 : this.config.shutdownGraceMs;
    this.logger.info({ running: this.running.size, graceMs }, 'stopping: no new tasks');
    const stoppingReconcilers = Promise.all(this.reconcilers.map((r) => r.stop(STEP_DEADLINE_MS)));
    await drainConsumers(
      {
        workers: this.consumers.map((c) => c.worker),
        running: this.running,
        logger: this.logger,
        graceMs: this.config.shutdownGraceMs,
        reportError: (error, queue) => this.reportError(error, queue),
      },
      forced,
    );
    await stoppingReconcilers;
    this.redisHealth?.stop();
    for (const processor of this.processors) processor.close();
    for (const policies of this.policies) policies.close();
    await Promise.all(this.attachments.map((a) => settledWithin(a.close(), STEP_DEADLINE_MS)));
    await this.health.close();
    for (const { connection } of this.consumers) connection.disconnect();
    if (this.client && !(await settledWithin(this.client.quit(), STEP_DEADLINE_MS))) this.client.disconnect();
    this.logger.info('stopped');
  }

  private startReconciler(client: RedisClient, keys: KeyLayout): Reconciler {
    const reconciler = new Reconciler(
      client,
      keys,
      {
        workerId: this.id,
        queues: this.queues,
        pool: this.config.pool,
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
        if (result.strayFetches > 0 && !this.strayConsumerReported) {
          // Once per process: every pass repairs it, and the metric keeps counting.
          this.strayConsumerReported = true;
          this.logger.warn(
            { strayFetches: result.strayFetches },
            "a consumer that is not a Turbine worker (a plain BullMQ Worker?) is taking tasks from Turbine's queues; stop it (see turbine_reconciler_repairs_total{kind=\"stray_fetches\"})",
          );
        }
      },
      (error) => this.reportError(error),
    );
    reconciler.start();
    return reconciler;
  }

  /**
   * Reports an error; logs it at most once per 5 s per message, so an outage does not flood the
   * logs. During an outage the queues' connections fail too, saying what Redis health says:
   * those are left out. A queue's connection can see an outage before the health check's own
   * connection does, so a connection error met while Redis still looks healthy is logged only
   * if it still does CONNECTION_ERROR_GRACE_MS later.
   */
  private reportError(error: Error, queue?: string): void {
    this.safeEmit('worker:error', { error, queue });
    if (!isConnectionError(error)) {
      if (this.errors.firstTimeIn(`${queue ?? ''}:${error.message}`)) this.logger.error({ queue, err: error }, 'worker error');
      return;
    }
    const health = this.redisHealth;
    if (health && !health.ready) return;
    // A connection error is a state, not a bug: one line with its reason, no stack.
    const report = (): void => {
      if (health && !health.ready) return;
      if (!this.errors.firstTimeIn(`${queue ?? ''}:${error.message}`)) return;
      this.logger.warn({ queue, reason: describeConnectError(error) }, 'Redis connection error');
    };
    if (health) setTimeout(report, CONNECTION_ERROR_GRACE_MS).unref();
    else report();
  }
}
