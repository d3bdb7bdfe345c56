import { Queue, QueueEvents, type Job } from 'bullmq';
import type { AdmissionOutcome, AdmissionRequest, Placement } from '../dispatcher/admission.js';
import {
  RedisMemoryGuard,
  readRedisMemory,
  type MemoryGuardOptions,
  type RedisMemoryPressureError,
} from '../dispatcher/memory-pressure.js';
import type { ReplicationRequirement } from '../dispatcher/replication.js';
import { InvalidArgumentError, type TurbineError } from '../core/errors.js';
import { TypedEmitter } from '../core/events.js';
import { createWorkerClient, type RedisClient } from '../store/connection.js';
import { RedisClientHolder, type RedisClientOptions } from '../store/holder.js';
import type { KeyLayout } from '../core/keys.js';
import type { ShardRouter } from '../store/shards.js';
import { admitRouted } from '../dispatcher/routed-admission.js';
import { jobIdOf } from '../core/task-ids.js';
import { assertQueueName, assertTaskLookupId, assertTenantId } from '../tenancy/validation.js';
import { rejectionReason, type RejectionReason } from '../core/rejection.js';
import { AsyncResult } from './result.js';
import type { TaskHost } from './ports.js';
import { resolveRetention, type ResultRetention } from './retention.js';
import { TaskDefinition } from './task.js';
import type { AnyHandler, ArgsOf, ResultOf, TaskOptions } from './types.js';

export interface TurbineOptions extends RedisClientOptions {
  /** Default tenant of this app's submissions (the Python SDK's TURBINE_TENANT_ID setting). */
  tenantId?: string;
  /** How long and how many finished tasks stay readable by `AsyncResult.get()` (per queue). */
  results?: Partial<ResultRetention>;
  /**
   * Backpressure: submissions are refused with `RedisMemoryPressureError` while Redis's
   * used memory is past `highWaterMark` of its `maxmemory` (read at most once per
   * `refreshIntervalMs`). `false` turns the check off. @defaultValue `{ highWaterMark: 0.9, refreshIntervalMs: 1000 }`
   */
  memory?: MemoryGuardOptions | false;
  /**
   * Acknowledge a submission only once this many replicas hold it (`WAIT`), so that a failover
   * cannot lose an acknowledged task; otherwise `NotReplicatedError`. Off by default: Redis
   * replicates asynchronously and a failover may drop the last writes (see docs/deployment.md).
   */
  replication?: ReplicationRequirement;
}

/** Events of the producer side (`area:verb`). */
export interface ProducerEvents {
  /** A task was accepted: queued, held back, deferred or a duplicate of an earlier one. */
  'task:submitted': { tenantId: string; queue: string; task: string; taskId: string; placement: Placement };
  /** A task was refused by its tenant's rules. */
  'task:rejected': { tenantId: string; queue: string; task: string; reason: RejectionReason; error: TurbineError };
  [event: string]: unknown;
}

/**
 * A Turbine application: its Redis connection, its task registry and the defaults of its
 * submissions. Producers use it to define and submit tasks; `turbine-worker` runs its tasks.
 */
export class Turbine extends TypedEmitter<ProducerEvents> implements TaskHost {
  /** The keys of shard 0 (with one shard, the only one). */
  readonly keys: KeyLayout;
  /** Where each tenant's keys are: its shard, remembered per tenant by this app. */
  readonly shards: ShardRouter;
  readonly tenantId: string | undefined;
  readonly results: ResultRetention;
  readonly replication: ReplicationRequirement | undefined;
  private readonly redis: RedisClientHolder;
  private readonly memoryGuard: RedisMemoryGuard | null;
  private readonly registry = new Map<string, TaskDefinition>();
  private readonly queues = new Map<string, Queue>();
  private readonly events = new Map<string, { ready: Promise<QueueEvents>; close: () => Promise<void> }>();

  constructor(options: TurbineOptions = {}) {
    super();
    this.redis = new RedisClientHolder(options);
    this.shards = this.redis.router();
    this.keys = this.shards.layout(0);
    this.tenantId = options.tenantId === undefined ? undefined : assertTenantId(options.tenantId);
    this.replication = options.replication;
    this.results = resolveRetention(options.results);
    this.memoryGuard =
      options.memory === false ? null : new RedisMemoryGuard(async () => readRedisMemory(await this.client()), options.memory);
  }

  get backendUrl(): string {
    return this.redis.backendUrl;
  }

  /** The prefix configured, from which each shard's prefix is made. */
  get prefix(): string {
    return this.redis.prefix;
  }

  /** The keys of the shard `tenantId` lives on. */
  async keysFor(tenantId: string): Promise<KeyLayout> {
    return this.shards.keysOf(await this.client(), tenantId);
  }

  /** @internal Admits each request on its tenant's shard. */
  async admit(requests: readonly AdmissionRequest[]): Promise<AdmissionOutcome[]> {
    return admitRouted(await this.client(), this.shards, requests, this.replication);
  }

  /** The ioredis client this app was given, if any (a worker running the app derives its connections from it). */
  get connection(): RedisClient | undefined {
    return typeof this.redis.source === 'string' ? undefined : this.redis.source;
  }

  /** Defines a task. Names are unique within an app. */
  task<H extends AnyHandler>(options: TaskOptions, handler: H): TaskDefinition<ArgsOf<H>, ResultOf<H>> {
    const definition = new TaskDefinition<ArgsOf<H>, ResultOf<H>>(this, options, handler);
    if (this.registry.has(definition.name)) {
      throw new InvalidArgumentError(
        `A task named '${definition.name}' is already defined; give this one another name`,
      );
    }
    this.registry.set(definition.name, definition as unknown as TaskDefinition);
    return definition;
  }

  /** The tasks defined on this app, by name. */
  get tasks(): ReadonlyMap<string, TaskDefinition> {
    return this.registry;
  }

  /**
   * A handle on a task submitted earlier. It reads only tasks of `tenantId` (default: the
   * app's tenant): results are isolated per tenant.
   */
  result<R = unknown>(taskId: string, options: { queue?: string; tenantId?: string } = {}): AsyncResult<R> {
    const tenantId = options.tenantId ?? this.tenantId;
    if (tenantId === undefined) {
      throw new InvalidArgumentError('Pass the tenantId whose task this is (this app is not bound to a tenant)');
    }
    return new AsyncResult<R>(this, taskId, assertQueueName(options.queue ?? 'default'), assertTenantId(tenantId));
  }

  /** @internal The refusal for submissions while Redis is past its memory high-water mark, else null. */
  memoryPressure(): Promise<RedisMemoryPressureError | null> {
    return this.memoryGuard ? this.memoryGuard.check() : Promise.resolve(null);
  }

  /** The Redis client, connecting on first use. */
  client(): Promise<RedisClient> {
    return this.redis.get();
  }

  /**
   * The BullMQ job of a task of `tenantId`; null when there is none. Task ids are scoped per
   * tenant (the job id names the tenant), and the job's own record of its tenant is checked
   * as well: a job of another tenant is answered exactly like a missing one, so that task ids
   * cannot be probed across tenants and a result only ever reaches its own tenant.
   */
  async getJob(queue: string, taskId: string, tenantId: string): Promise<Job | null> {
    assertTaskLookupId(taskId);
    const shard = await this.shards.shardOf(await this.client(), tenantId);
    const job = await this.queue(queue, shard).then((q) => q.getJob(jobIdOf(tenantId, taskId)));
    return job && isOwnedBy(job, tenantId) ? job : null;
  }

  /** A BullMQ Queue of `shard` (default 0) on this app's connection, for reading jobs. */
  async queue(name: string, shard = 0): Promise<Queue> {
    const id = `${shard}:${name}`;
    let queue = this.queues.get(id);
    if (!queue) {
      queue = new Queue(name, { connection: await this.client(), prefix: this.shards.layout(shard).bullPrefix() });
      this.queues.set(id, queue);
    }
    return queue;
  }

  /**
   * QueueEvents of a queue (on the shard of `tenantId`, default shard 0), opened once and
   * shared by every waiting `AsyncResult.get()`.
   */
  async queueEvents(name: string, tenantId?: string): Promise<QueueEvents> {
    const keys = tenantId === undefined ? this.keys : await this.keysFor(tenantId);
    const id = `${keys.prefix}:${name}`;
    let events = this.events.get(id);
    if (!events) {
      const connection = createWorkerClient(this.redis.source);
      let created: QueueEvents | null = null;
      events = {
        ready: this.lastEventId(name, keys).then(async (lastEventId) => {
          // Read from the stream's end as it was before any task is checked: an event written
          // while QueueEvents starts reading is not missed ('$' would skip it).
          created = new QueueEvents(name, { connection, prefix: keys.bullPrefix(), lastEventId });
          created.on('error', () => undefined);
          await created.waitUntilReady();
          return created;
        }),
        close: async () => {
          await (created as QueueEvents | null)?.close().catch(() => undefined);
          connection.disconnect();
        },
      };
      this.events.set(id, events);
    }
    return events.ready;
  }

  private async lastEventId(queue: string, keys: KeyLayout): Promise<string> {
    const [last] = await (await this.client()).xrevrange(`${keys.bullPrefix()}:${queue}:events`, '+', '-', 'COUNT', 1);
    return last?.[0] ?? '0-0';
  }

  /** @internal Called by task definitions after admission. */
  reportSubmitted(request: AdmissionRequest, taskId: string, placement: Placement): void {
    this.safeEmit('task:submitted', {
      tenantId: request.tenantId,
      queue: request.queue,
      task: request.taskName,
      taskId,
      placement,
    });
  }

  /** @internal */
  reportRejected(request: AdmissionRequest, error: TurbineError): void {
    this.safeEmit('task:rejected', {
      tenantId: request.tenantId,
      queue: request.queue,
      task: request.taskName,
      reason: rejectionReason(error),
      error,
    });
  }

  async close(): Promise<void> {
    const events = [...this.events.values()];
    this.events.clear();
    await Promise.all(events.map((e) => e.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
    await this.redis.close();
  }
}

/** The tenant the job was admitted for (`opts.tid`) and the one its data names are both `tenantId`. */
export function isOwnedBy(job: Job, tenantId: string): boolean {
  const owner = (job.data as { tenant_id?: unknown } | undefined)?.tenant_id;
  const charged = (job.opts as { tid?: unknown }).tid;
  return owner === tenantId && charged === tenantId;
}
