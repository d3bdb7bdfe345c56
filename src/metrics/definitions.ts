import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Every Turbine metric, by the process that counts it. Names follow Prometheus practice:
 * `turbine_` prefix, base units in the name, `_total` on counters. docs/metrics.md describes
 * each one; test/unit/metrics-dashboard.test.ts keeps the docs, the dashboard and the alert
 * rules in step with this file.
 */

// Buckets: from a quick task to a long report; wait times stretch to an hour for held tasks.
export const DURATION_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
export const WAIT_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/** Counted where tasks are submitted (an SDK process); see `instrumentProducer`. */
export function createProducerMetrics(registry: Registry) {
  return {
    submitted: counter(registry, {
      name: 'turbine_tasks_submitted_total',
      help: 'Tasks accepted at submission (queued, held back or deferred; duplicates of an earlier task id are not counted).',
      labelNames: ['tenant', 'queue'] as const,
    }),
    rejected: counter(registry, {
      name: 'turbine_tasks_rejected_total',
      help: "Submissions refused by the tenant's rules, by reason.",
      labelNames: ['tenant', 'queue', 'reason'] as const,
    }),
  };
}

export type ProducerMetricSet = ReturnType<typeof createProducerMetrics>;

/** Counted by each worker process from its task events; add them up across replicas with sum(). */
export function createTaskMetrics(registry: Registry) {
  const registers = [registry];
  return {
    started: new Counter({
      name: 'turbine_tasks_started_total',
      help: 'Runs of task handlers started (retries included).',
      labelNames: ['tenant', 'queue', 'task'] as const,
      registers,
    }),
    finished: new Counter({
      name: 'turbine_tasks_finished_total',
      help: 'Runs of task handlers ended, by outcome: succeeded, retried, dead_lettered, failed (outcome not recorded).',
      labelNames: ['tenant', 'queue', 'task', 'outcome'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'turbine_task_duration_seconds',
      help: 'Time a task handler ran, per run.',
      labelNames: ['tenant', 'queue', 'task'] as const,
      buckets: [...DURATION_BUCKETS],
      registers,
    }),
    wait: new Histogram({
      name: 'turbine_task_wait_seconds',
      help: 'Time from submission (or due time of a delayed task) to the start of its first run, held time included.',
      labelNames: ['tenant', 'queue'] as const,
      buckets: [...WAIT_BUCKETS],
      registers,
    }),
    deadLettered: new Counter({
      name: 'turbine_tasks_dead_lettered_total',
      help: 'Tasks sent to the dead-letter queue, by reason.',
      labelNames: ['tenant', 'queue', 'reason'] as const,
      registers,
    }),
    resultsRejected: new Counter({
      name: 'turbine_results_rejected_total',
      help: "Results not stored because they exceeded the tenant's max_result_size_bytes.",
      labelNames: ['tenant', 'queue'] as const,
      registers,
    }),
    reconcilerPasses: new Counter({
      name: 'turbine_reconciler_passes_total',
      help: 'Reconciler passes run by this worker while it was the elected one.',
      registers,
    }),
    reconcilerRepairs: new Counter({
      name: 'turbine_reconciler_repairs_total',
      help: 'Repairs made by the reconciler, by kind: promoted, leases_dropped, slots_dropped, deferred_dropped, stray_fetches (waiting tasks taken by a consumer that is not a Turbine worker).',
      labelNames: ['kind'] as const,
      registers,
    }),
  };
}

export type TaskMetricSet = ReturnType<typeof createTaskMetrics>;

/**
 * Read from Redis and exported only by the elected reconciler replica: each is a fact about
 * the whole system, not about one process, so aggregate them with max(), not sum().
 */
export function createRedisGauges(registry: Registry) {
  const registers = [registry];
  return {
    running: new Gauge({
      name: 'turbine_tasks_running',
      help: "Tasks of the tenant running now, across all workers (its running slot leases).",
      labelNames: ['tenant'] as const,
      registers,
    }),
    held: new Gauge({
      name: 'turbine_tasks_held',
      help: 'Tasks of the tenant held back (parked), by reason: cap (its max_concurrent_tasks), rate (its max_tasks_per_second or _per_minute), window (its dispatch window), disabled.',
      labelNames: ['tenant', 'reason'] as const,
      registers,
    }),
    pending: new Gauge({
      name: 'turbine_tasks_pending',
      help: 'Tasks of the tenant submitted and not started: held, waiting and deferred (what max_queue_length limits).',
      labelNames: ['tenant'] as const,
      registers,
    }),
    oldestHeldAge: new Gauge({
      name: 'turbine_oldest_held_task_age_seconds',
      help: "Age of the tenant's oldest held task since submission; 0 when none is held.",
      labelNames: ['tenant'] as const,
      registers,
    }),
    quotaLimit: new Gauge({
      name: 'turbine_tenant_quota_limit',
      help: "The tenant's quotas that are set (unlimited ones have no series), by the Python SDK's quota name.",
      labelNames: ['tenant', 'quota'] as const,
      registers,
    }),
    usage: new Gauge({
      name: 'turbine_tenant_usage',
      help: "The tenant's usage counters: tasks_hour, tasks_day (current windows), concurrent, total.",
      labelNames: ['tenant', 'metric'] as const,
      registers,
    }),
    enabled: new Gauge({
      name: 'turbine_tenant_enabled',
      help: '1 when the tenant is enabled, 0 when disabled (its tasks stay held).',
      labelNames: ['tenant'] as const,
      registers,
    }),
    dlq: new Gauge({
      name: 'turbine_dlq_tasks',
      help: "Entries in the dead-letter queue, by tenant and queue (0 for the tenant's queues without any).",
      labelNames: ['tenant', 'queue'] as const,
      registers,
    }),
    queueTasks: new Gauge({
      name: 'turbine_queue_tasks',
      help: 'Jobs in each BullMQ queue by state; held tasks are counted as held, not delayed.',
      labelNames: ['queue', 'state'] as const,
      registers,
    }),
    storedResults: new Gauge({
      name: 'turbine_tenant_stored_results',
      help: "Finished tasks of the tenant whose result or failure is stored (what max_stored_results bounds).",
      labelNames: ['tenant'] as const,
      registers,
    }),
    redisMemory: new Gauge({
      name: 'turbine_redis_memory_bytes',
      help: "Memory Redis uses (INFO memory's used_memory).",
      registers,
    }),
    redisMemoryLimit: new Gauge({
      name: 'turbine_redis_memory_limit_bytes',
      help: "Redis's maxmemory; 0 when none is set (then producers cannot be refused before Redis runs out).",
      registers,
    }),
    tenants: new Gauge({
      name: 'turbine_tenants',
      help: 'Tenants that exist, by state (enabled, disabled), those counted under tenant="__other__" included.',
      labelNames: ['state'] as const,
      registers,
    }),
  };
}

export type RedisGaugeSet = ReturnType<typeof createRedisGauges>;

interface CounterConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
}

/** A counter of a registry that may be shared (prom-client's global one): reuse it if there. */
function counter<L extends string>(registry: Registry, config: CounterConfig<L>): Counter<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Counter) return existing as Counter<L>;
  if (existing) {
    throw new Error(`The registry already has a metric named ${config.name} that is not a counter; use another registry for Turbine's metrics`);
  }
  return new Counter({ ...config, registers: [registry] });
}
