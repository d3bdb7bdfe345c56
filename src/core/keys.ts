/**
 * The Redis key layout, in one place. The Python SDK's keys come first and are kept exactly
 * (`turbine:tenant:<id>` and its `usage:*` counters, with the default prefix `turbine`); the
 * rest are Turbine's own bookkeeping under the same prefix. `src/core/lua/includes/keys.lua`
 * builds the same names inside scripts; a test holds the two in step.
 *
 * Every key starts with the prefix, so a prefix with a hash tag (`{turbine}`) puts all of them
 * in one Redis Cluster slot, which the multi-key Lua scripts need.
 */

export const DEFAULT_PREFIX = 'turbine';

/** The worker pool of tenants without one, run by workers started without `--pool`. */
export const SHARED_POOL = 'shared';

/**
 * A lane: a queue as one worker pool sees it, `<queue>` for the shared pool and
 * `<queue>@<pool>` for a dedicated one (`@` is not allowed in queue names). Fairness keeps its
 * per-queue figures (busy tenants, window, capacity) per lane. `laneOf` in keys.lua, the same.
 */
export function laneOf(queue: string, pool: string): string {
  return pool === SHARED_POOL ? queue : `${queue}@${pool}`;
}

/**
 * When the task of a waiting slot (a slot score of 0 or less) was put in the wait list: scores
 * are `-(dispatchedAt × 4 + flags)`, whole numbers (`waitingSlotScore` in the dispatcher's
 * slots.lua).
 */
export function dispatchedAtOfWaitingSlot(score: number): number {
  return Math.floor(-score / 4);
}

/** The Python SDK's usage counters (`turbine:tenant:<id>:usage:<metric>`). */
export const USAGE_METRICS = ['tasks_hour', 'tasks_day', 'concurrent', 'total'] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

export class KeyLayout {
  constructor(readonly prefix: string = DEFAULT_PREFIX) {}

  /** Tenant configuration (a hash; see docs/storage.md). */
  tenant(tenantId: string): string {
    return `${this.prefix}:tenant:${tenantId}`;
  }

  usage(tenantId: string, metric: UsageMetric): string {
    return `${this.tenant(tenantId)}:usage:${metric}`;
  }

  /**
   * Tasks holding a dispatch slot in a queue: job id → `-(dispatchedAt × 4 + flags)` (waiting:
   * dispatchedAtOfWaitingSlot) or lease expiry (running).
   */
  slots(tenantId: string, queue: string): string {
    return `${this.tenant(tenantId)}:slots:${queue}`;
  }

  /** Tasks held back (parked) in a queue, oldest first. */
  held(tenantId: string, queue: string): string {
    return `${this.tenant(tenantId)}:held:${queue}`;
  }

  /** Finished tasks of the tenant that BullMQ keeps in a queue's `state` set: job id → finish time. */
  storedResults(tenantId: string, queue: string, state: 'completed' | 'failed'): string {
    return `${this.tenant(tenantId)}:stored:${queue}:${state}`;
  }

  /** Queues the tenant has submitted to. */
  tenantQueues(tenantId: string): string {
    return `${this.tenant(tenantId)}:queues`;
  }

  /** Tasks waiting in BullMQ outside a slot (delayed submissions, retries): `<queue>:<jobId>` → due time. */
  deferred(tenantId: string): string {
    return `${this.tenant(tenantId)}:deferred`;
  }

  /**
   * Hash: the tenant's rate limiters' state (GCRA): `second` and `minute` → the theoretical
   * arrival time (ms) of its next start under that limit. Expires when it no longer matters.
   */
  rate(tenantId: string): string {
    return `${this.tenant(tenantId)}:rate`;
  }

  /** Hash: queue → id of the held task parked in BullMQ's delayed set to wake the queue when the rate allows a start. */
  rateWake(tenantId: string): string {
    return `${this.tenant(tenantId)}:rate-wake`;
  }

  /** Audit trail of changes to the tenant (capped stream, kept after deletion). */
  audit(tenantId: string): string {
    return `${this.tenant(tenantId)}:audit`;
  }

  /** Set of all tenant ids. */
  tenants(): string {
    return `${this.prefix}:tenants`;
  }

  /** Set of all queues that tasks were submitted to. */
  queues(): string {
    return `${this.prefix}:queues`;
  }

  /** Pub/sub channel on which every tenant change is announced (message: the tenant id). */
  changesChannel(): string {
    return `${this.prefix}:tenant-changes`;
  }

  /** Hash: queue → dispatch window (tasks of one tenant allowed in the queue's wait list). */
  dispatchWindow(): string {
    return `${this.prefix}:dispatch:window`;
  }

  /**
   * Sorted set: tenants with tasks waiting or held in a queue (busy) → their weight when they
   * became busy. Each busy tenant's window is its weight's share of the queue's window.
   */
  busyTenants(queue: string): string {
    return `${this.prefix}:dispatch:busy:${queue}`;
  }

  /** Hash: queue → sum of the busy tenants' weights (the scores of `busyTenants`). */
  busyWeight(): string {
    return `${this.prefix}:dispatch:busy-weight`;
  }

  /**
   * Set of active tenants: with tasks waiting, held, deferred or running somewhere. The
   * reconciler and the metrics snapshot walk these, not every tenant ever created.
   */
  activeTenants(): string {
    return `${this.prefix}:dispatch:active`;
  }

  /** Hash: worker id → `<concurrency>:<expiresAtMs>` of the workers consuming a queue. */
  capacity(queue: string): string {
    return `${this.prefix}:dispatch:capacity:${queue}`;
  }

  /** Set of the dedicated pools named by a tenant or a worker (the shared pool is not listed). */
  pools(): string {
    return `${this.prefix}:pools`;
  }

  /**
   * One of BullMQ's keys of a queue as a pool's workers use it: the shared pool's are BullMQ's
   * own; a dedicated pool has its own `wait` list and `marker` (`<queue>:wait:<pool>`), so its
   * workers fetch only its tenants' tasks. `poolBullKey` in keys.lua, the same.
   */
  poolBullKey(queue: string, pool: string, suffix: 'wait' | 'marker'): string {
    const key = `${this.bullPrefix()}:${queue}:${suffix}`;
    return pool === SHARED_POOL ? key : `${key}:${pool}`;
  }

  /** Lock held by the worker that runs the reconciler. */
  reconcilerLock(): string {
    return `${this.prefix}:reconciler:lock`;
  }

  /** Written by a worker every second to check that Redis takes writes (expires on its own). */
  writeProbe(workerId: string): string {
    return `${this.prefix}:probe:${workerId}`;
  }

  /** Usage metering: the tenant's counts in the hour starting at `hourStart` (Unix seconds; a hash). */
  usageHour(tenantId: string, hourStart: number): string {
    return `${this.tenant(tenantId)}:usage-hour:${hourStart}`;
  }

  /** Set of the tenants with usage counted in the hour starting at `hourStart` (Unix seconds). */
  usageHourTenants(hourStart: number): string {
    return `${this.prefix}:usage-hour:${hourStart}`;
  }

  /** Hash of the metering settings the scripts read (`retention_ms`, `stream_max_length`). */
  usageSettings(): string {
    return `${this.prefix}:usage:settings`;
  }

  /** Stream of usage events, written only while the settings turn it on. */
  usageEvents(): string {
    return `${this.prefix}:usage:events`;
  }

  /** Dead-letter index: entry id → time dead-lettered (ms). */
  dlq(): string {
    return `${this.prefix}:dlq`;
  }

  dlqEntry(entryId: string): string {
    return `${this.prefix}:dlq:entry:${entryId}`;
  }

  dlqByTenant(tenantId: string): string {
    return `${this.prefix}:dlq:by-tenant:${tenantId}`;
  }

  /** The prefix handed to BullMQ: its keys are `<prefix>:q:<queue>:<suffix>`. */
  bullPrefix(): string {
    return `${this.prefix}:q`;
  }
}

/** DLQ entries and deferred members name a task as `<queue>:<jobId>`. */
export function parseTaskRef(ref: string): { queue: string; jobId: string } {
  const at = ref.indexOf(':');
  return { queue: ref.slice(0, at), jobId: ref.slice(at + 1) };
}
