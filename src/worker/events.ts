import type { DeadLetterReason } from '../dispatcher/release.js';

/** How one run of a task ended. `failed` marks a run whose outcome Turbine could not record. */
export type TaskOutcome = 'succeeded' | 'retried' | 'dead_lettered' | 'failed';

interface TaskRef {
  tenantId: string;
  queue: string;
  task: string;
  taskId: string;
}

export interface ReconcileSummary {
  tenants: number;
  promoted: number;
  leasesDropped: number;
  slotsDropped: number;
  deferredDropped: number;
  /** Waiting tasks taken by a consumer that is not a Turbine worker (see the reconciler). */
  strayFetches: number;
  durationMs: number;
}

/** Events of a worker process (`area:verb`). */
export interface WorkerEvents {
  /** Every queue's BullMQ worker is connected and consuming. */
  'worker:ready': { queues: string[] };
  /** Something went wrong outside a task (Redis, BullMQ); the worker keeps going. */
  'worker:error': { error: Error; queue?: string };
  /** The connection to Redis went down (false) or came back (true). */
  'redis:status': { ready: boolean };
  /** A task's handler is about to run; `waitMs` is submission (or due time) to start, first runs only. */
  'task:started': TaskRef & { attempt: number; waitMs: number | null };
  /** A task's run ended; `durationMs` is null when its handler never ran (poison, stalled). */
  'task:finished': TaskRef & { outcome: TaskOutcome; durationMs: number | null };
  /** A task went to the dead-letter queue. */
  'task:dead-lettered': TaskRef & { reason: DeadLetterReason };
  /** A result larger than the tenant's max_result_size_bytes was not stored. */
  'result:rejected': TaskRef & { sizeBytes: number; limitBytes: number };
  /** The elected reconciler finished a pass. */
  'reconciler:pass': ReconcileSummary;
  [event: string]: unknown;
}
