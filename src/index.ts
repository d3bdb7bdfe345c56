export * from './core/errors.js';
export { classify } from './core/classify.js';
export type { ErrorCategory } from './core/classify.js';
export { TenantManager } from './tenancy/manager.js';
export type {
  CreateTenantInput,
  DeleteTenantOptions,
  TenantManagerOptions,
  UpdateTenantInput,
} from './tenancy/manager.js';
export type { TenantQuotas, QuotaName, QuotaWireName } from './tenancy/quotas.js';
export { QUOTA_WIRE_NAMES } from './tenancy/quotas.js';
export type { Tenant, TenantJson, TenantMetadata, JsonValue } from './tenancy/tenant.js';
export { tenantToJson } from './tenancy/tenant.js';
export type { TenantStats, TenantStatsJson } from './tenancy/stats.js';
export { statsToJson } from './tenancy/stats.js';
export type { AuditEntry, AuditAction } from './tenancy/audit.js';
export type { UsageRow, UsageRowJson, UsagePeriod, MeteredRejection } from './tenancy/usage.js';
export { usageRowToJson, METERED_REJECTIONS } from './tenancy/usage.js';
export type { UsageReportQuery, UsageExportQuery } from './tenancy/usage-report.js';
export type { QuotaType, QuotaCheckResult } from './tenancy/quota-check.js';
export { QUOTA_TYPES } from './tenancy/quota-check.js';
export { KeyLayout, DEFAULT_PREFIX, USAGE_METRICS } from './core/keys.js';
export type { UsageMetric } from './core/keys.js';
export { isValidTenantId, isValidQueueName } from './tenancy/validation.js';
export { Turbine } from './tasks/app.js';
export type { TurbineOptions, ProducerEvents } from './tasks/app.js';
export { TaskDefinition } from './tasks/task.js';
export type { BulkItemResult } from './tasks/task.js';
export { AsyncResult } from './tasks/result.js';
export { task, getDefaultApp, closeDefaultApp } from './tasks/default-app.js';
export type { AnyHandler, ApplyOptions, ArgsOf, BackoffOptions, ResultOf, TaskContext, TaskOptions, TaskStatus } from './tasks/types.js';
export type { Placement } from './dispatcher/admission.js';
export { RedisMemoryPressureError } from './dispatcher/memory-pressure.js';
export type { MemoryGuardOptions } from './dispatcher/memory-pressure.js';
export type { ResultRetention } from './tasks/retention.js';
export type { RejectionReason } from './core/rejection.js';
export { WorkerRuntime } from './worker/runtime.js';
export { startWorker } from './worker/start.js';
export type { ReplicationRequirement } from './dispatcher/replication.js';
export type { RedisClient } from './store/connection.js';
export type { StartWorkerOptions } from './worker/runtime.js';
export type { WorkerEvents, TaskOutcome, ReconcileSummary } from './worker/events.js';
export type { DeadLetterReason } from './dispatcher/release.js';
export { loadConfig } from './config/load.js';
export type { TurbineConfig, TurbineConfigInput } from './config/schema.js';
export { DeadLetterQueue } from './dlq/queue.js';
export type { DeadLetterQueueOptions, DeadLetterFilter, EntryAccess, ListDeadLettersOptions, PurgeDeadLettersOptions } from './dlq/queue.js';
export type { DrainResult } from './tenancy/drain.js';
export { deadLetterEntryToJson } from './dlq/entry.js';
export type { DeadLetterEntry, DeadLetterEntryJson } from './dlq/entry.js';
export { DeadLetterNotFoundError, DeadLetterNotReplayableError } from './dlq/errors.js';
export { replayTaskId } from './dlq/replay.js';
export type { ReplayOutcome, ReplayedTask } from './dlq/replay.js';
export { instrumentProducer } from './metrics/producer.js';
export type { ProducerMetrics, ProducerMetricsOptions } from './metrics/producer.js';
export { workerMetricsRegistry } from './metrics/worker.js';
