import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { decodeTask, type TaskEnvelope } from '../dispatcher/envelope.js';
import type { DeadLetterReason, SlotClient, SlotRef } from '../dispatcher/slots.js';
import { ResultTooLargeError, coerceError } from '../errors.js';
import type { TaskDefinition } from '../tasks/task.js';
import type { TaskContext } from '../tasks/types.js';
import type { TaskOutcome, WorkerEvents } from './events.js';
import type { Logger } from './logger.js';
import type { TenantPolicyCache } from './tenant-policy.js';
import { HandlerTimeoutError, runWithTimeout } from './timeout.js';

export interface ProcessorDeps {
  tasks: ReadonlyMap<string, TaskDefinition>;
  slots: SlotClient;
  policies: TenantPolicyCache;
  logger: Logger;
  emit: <E extends keyof WorkerEvents & string>(event: E, payload: WorkerEvents[E]) => void;
  /** Tasks whose handler is running, for lease renewal and a forced stop. */
  running: Map<string, RunningTask>;
}

export interface RunningTask {
  ref: SlotRef;
  job: Job;
  token: string;
  abort: AbortController;
}

export function runningKey(queue: string, jobId: string): string {
  return `${queue}:${jobId}`;
}

/**
 * Runs one fetched job the Turbine way. Its slot was claimed when BullMQ fetched it (Turbine's
 * moveToActive), and a completed run is released when BullMQ finishes it (moveToFinished), so
 * a task that succeeds costs no extra round trip. This runs the handler with its timeout,
 * checks the result against the tenant's limit, and on failure lets the tenant's policy decide
 * between retry and dead-letter. Poison tasks (unknown name, undecodable payload, a deleted
 * tenant, a non-Error thrown) go to the dead-letter queue at once: retrying cannot help them.
 */
export class TaskProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  async process(job: Job, token: string, bullSignal?: AbortSignal): Promise<unknown> {
    const jobId = job.id!;
    const queue = job.queueName;
    let envelope: TaskEnvelope;
    try {
      envelope = decodeTask(job.data);
    } catch (error) {
      return this.deadLetter(job, { tenantId: '', queue, jobId }, 'undecodable_payload', coerceError(error));
    }
    const ref: SlotRef = { tenantId: envelope.tenant_id, queue, jobId };
    const definition = this.deps.tasks.get(job.name);
    if (!definition) {
      return this.deadLetter(job, ref, 'unknown_task', new Error(`No task named '${job.name}' is registered in this worker`));
    }

    const policy = await this.deps.policies.get(ref.tenantId);
    if (!policy.exists) {
      return this.deadLetter(job, ref, 'tenant_deleted', new Error(`Tenant '${ref.tenantId}' no longer exists`), undefined, token);
    }
    return this.run(job, token, ref, definition, envelope, policy.maxResultSizeBytes, bullSignal);
  }

  private async run(
    job: Job,
    token: string,
    ref: SlotRef,
    definition: TaskDefinition,
    envelope: TaskEnvelope,
    maxResultSizeBytes: number | null,
    bullSignal: AbortSignal | undefined,
  ): Promise<unknown> {
    const abort = new AbortController();
    bullSignal?.addEventListener('abort', () => abort.abort(bullSignal.reason), { once: true });
    const key = runningKey(ref.queue, ref.jobId);
    const entry: RunningTask = { ref, job, token, abort };
    this.deps.running.set(key, entry);
    const attempt = job.attemptsMade + 1;
    const started = Date.now();
    const about = this.describe(job, ref);
    const dueAt = job.timestamp + (job.opts.delay ?? 0);
    this.deps.emit('task:started', { ...about, attempt, waitMs: attempt === 1 ? Math.max(0, started - dueAt) : null });
    this.deps.logger.debug({ ...about, attempt }, 'task started');

    const context: TaskContext = {
      taskId: ref.jobId,
      tenantId: ref.tenantId,
      queue: ref.queue,
      taskName: definition.name,
      attempt,
      signal: abort.signal,
    };
    let result: unknown;
    let thrown: unknown;
    let failed = false;
    let resultSize = 0;
    try {
      result = await runWithTimeout(() => definition.handler(...envelope.args, context), definition.timeoutMs, abort);
      // What BullMQ will store; a result that cannot be serialized fails the run.
      resultSize = Buffer.byteLength(JSON.stringify(result) ?? 'null');
    } catch (error) {
      thrown = error;
      failed = true;
    }
    if (this.deps.running.get(key) !== entry) {
      // A stopping worker put this task back in its queue meanwhile: its slot and its outcome
      // now belong to the next run.
      throw new DelayedError();
    }
    this.deps.running.delete(key);

    if (!failed) {
      if (maxResultSizeBytes !== null && resultSize > maxResultSizeBytes) {
        this.deps.emit('result:rejected', { ...about, sizeBytes: resultSize, limitBytes: maxResultSizeBytes });
        const error = new ResultTooLargeError(ref.tenantId, resultSize, maxResultSizeBytes);
        return this.deadLetter(job, ref, 'result_too_large', error, started, token);
      }
      // moveToFinished releases the slot when BullMQ stores the result.
      this.finished(job, ref, 'succeeded', started);
      return result;
    }
    if (!(thrown instanceof Error)) {
      return this.deadLetter(job, ref, 'non_error_thrown', coerceError(thrown), started, token);
    }
    const reason: DeadLetterReason = thrown instanceof HandlerTimeoutError ? 'timeout' : 'retries_exhausted';
    const decision = await this.deps.slots.release(ref, {
      outcome: 'failed',
      attemptsMade: job.attemptsMade,
      retries: Math.max(0, (job.opts.attempts ?? 1) - 1),
      reason,
      error: { message: thrown.message, stack: thrown.stack ?? '' },
    }, token);
    if (decision.kind === 'retry') {
      this.finished(job, ref, 'retried', started, thrown);
      throw thrown;
    }
    this.deps.emit('task:dead-lettered', { ...about, reason });
    this.finished(job, ref, 'dead_lettered', started, thrown, reason);
    throw unrecoverable(thrown);
  }

  /** Dead-letters a task without retry and tells BullMQ to fail it for good. */
  private async deadLetter(
    job: Job,
    ref: SlotRef,
    reason: DeadLetterReason,
    error: Error,
    started?: number,
    token = '',
  ): Promise<never> {
    await this.deps.slots.release(
      ref,
      { outcome: 'dead', attemptsMade: job.attemptsMade, reason, error: { message: error.message, stack: error.stack ?? '' } },
      token,
    );
    this.deps.emit('task:dead-lettered', { ...this.describe(job, ref), reason });
    this.finished(job, ref, 'dead_lettered', started ?? Date.now(), error, reason);
    throw unrecoverable(error);
  }

  private finished(job: Job, ref: SlotRef, outcome: TaskOutcome, started: number, error?: Error, reason?: string): void {
    const durationMs = Date.now() - started;
    const about = this.describe(job, ref);
    this.deps.emit('task:finished', { ...about, outcome, durationMs });
    const line = { ...about, outcome, durationMs, attempt: job.attemptsMade + 1, ...(reason ? { reason } : {}) };
    if (error) this.deps.logger.warn({ ...line, err: error }, 'task failed');
    else this.deps.logger.info(line, 'task finished');
  }

  private describe(job: Job, ref: SlotRef): { tenantId: string; queue: string; task: string; taskId: string } {
    return { tenantId: ref.tenantId, queue: ref.queue, task: job.name, taskId: ref.jobId };
  }
}

function unrecoverable(error: Error): UnrecoverableError {
  const wrapped = new UnrecoverableError(error.message);
  wrapped.stack = error.stack ?? wrapped.stack;
  return wrapped;
}
