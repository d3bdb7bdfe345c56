import type { Job, QueueEvents } from 'bullmq';
import type { RedisClient } from '../store/connection.js';
import type { TurbineError } from '../core/errors.js';
import type { KeyLayout } from '../core/keys.js';
import type { AdmissionOutcome, AdmissionRequest, Placement } from '../dispatcher/admission.js';
import type { RedisMemoryPressureError } from '../dispatcher/memory-pressure.js';
import type { ReplicationRequirement } from '../dispatcher/replication.js';
import type { ResultRetention } from './retention.js';

/**
 * What the SDK's parts need of their app ({@link Turbine} implements both), so that task
 * definitions and results depend on these small ports rather than on the app class.
 */

/** What an {@link AsyncResult} reads through. */
export interface ResultSource {
  /** The keys of the shard `tenantId` lives on. */
  keysFor(tenantId: string): Promise<KeyLayout>;
  client(): Promise<RedisClient>;
  /** The job of a task of `tenantId`; null when there is none or it is another tenant's. */
  getJob(queue: string, taskId: string, tenantId: string): Promise<Job | null>;
  /** The queue's events on the shard of `tenantId`. */
  queueEvents(queue: string, tenantId: string): Promise<QueueEvents>;
}

/** What a task definition submits through. */
export interface TaskHost extends ResultSource {
  readonly tenantId: string | undefined;
  readonly results: ResultRetention;
  /** Replicas that must hold a submission before it is acknowledged (none: undefined). */
  readonly replication: ReplicationRequirement | undefined;
  /** The refusal to give every submission while Redis is near `maxmemory`, else null. */
  memoryPressure(): Promise<RedisMemoryPressureError | null>;
  /** Admits each request on its tenant's shard, answers in order. */
  admit(requests: readonly AdmissionRequest[]): Promise<AdmissionOutcome[]>;
  reportSubmitted(request: AdmissionRequest, taskId: string, placement: Placement): void;
  reportRejected(request: AdmissionRequest, error: TurbineError): void;
}
