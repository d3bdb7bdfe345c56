import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { decodeTask, type TaskEnvelope } from '../core/envelope.js';
import type { DeadLetterReason, SlotClient, SlotRef } from '../dispatcher/slots.js';
import { ResultTooLargeError, coerceError } from '../core/errors.js';
import { taskIdOf } from '../core/task-ids.js';
import type { TaskDefinition } from '../tasks/task.js';
import type { TaskContext } from '../tasks/types.js';
import { checkAdmission } from './admission-check.js';
import type { TaskOutcome, WorkerEvents } from './events.js';
import type { Logger } from './logger.js';
import type { TenantPolicy, TenantPolicyCache } from './tenant-policy.js';
import { HandlerTimeoutError, TimeoutWatchdog } from './timeout.js';

export interface ProcessorDeps {
  tasks: ReadonlyMap<string, TaskDefinition>;
  slots: SlotClient;
  policies: TenantPolicyCache;
  logger: Logger;
  emit: <E extends keyof WorkerEvents & string>(event: E, payload: WorkerEvents[E]) => void;
  /** Tasks whose handler is running, for lease renewal and a forced stop. */
  running: Map<string, RunningTask>;
}

/** A run in progress. Its AbortController is made only when someone needs it. */
export class RunningTask {
  private controller: AbortController | null = null;

  constructor(
    readonly ref: SlotRef,
    readonly job: Job,
    readonly token: string,
  ) {}

  /** The signal handed to the handler (`ctx.signal`). */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.controller ??= new AbortController();
    this.controller.abort(reason);
  }
}

export function runningKey(queue: string, jobId: string): string {
  return `${queue}:${jobId}`;
}

interface TaskAbout {
  tenantId: string;
  queue: string;
  task: string;
  taskId: string;
}

/**
 * Runs one fetched job the Turbine way. Its slot was claimed when BullMQ fetched it (Turbine's
 * moveToActive), and a completed run is released when BullMQ finishes it (moveToFinished), so
 * a task that succeeds costs no extra round trip. This runs the handler with its timeout,
 * checks the result against the tenant's limit, and on failure lets the tenant's policy decide
 * between retry and dead-letter. Poison tasks (unknown name, undecodable payload, a deleted
 * tenant, a non-Error thrown) go to the dead-letter queue at once: retrying cannot help them.
 * Every task takes this path, so it allocates little and awaits only what it must.
 */
export class TaskProcessor {
  private readonly timeouts = new TimeoutWatchdog();

  constructor(private readonly deps: ProcessorDeps) {}

  /** Stops checking deadlines (when the worker stops). */
  close(): void {
    this.timeouts.stop();
  }

  async process(job: Job, token: string): Promise<unknown> {
    const jobId = job.id!;
    const queue = job.queueName;
    let envelope: TaskEnvelope;
    try {
      envelope = decodeTask(job.data);
    } catch (error) {
      return this.deadLetter(job, { tenantId: '', queue, jobId }, 'undecodable_payload', coerceError(error));
    }
    const problem = checkAdmission(job, envelope.tenant_id);
    if (problem) {
      return this.deadLetter(job, { tenantId: problem.tenantId, queue, jobId }, problem.reason, new Error(problem.message), null, token);
    }
    const ref: SlotRef = { tenantId: envelope.tenant_id, queue, jobId };
    const definition = this.deps.tasks.get(job.name);
    if (!definition) {
      return this.deadLetter(job, ref, 'unknown_task', new Error(`No task named '${job.name}' is registered in this worker`));
    }
    const policy: TenantPolicy = this.deps.policies.peek(ref.tenantId) ?? (await this.deps.policies.get(ref.tenantId));
    if (!policy.exists) {
      // A deleted tenant keeps its audit trail: a tenant without one never existed.
      return (await this.deps.policies.existedOnce(ref.tenantId))
        ? this.deadLetter(job, ref, 'tenant_deleted', new Error(`Tenant '${ref.tenantId}' no longer exists`), null, token)
        : this.deadLetter(job, ref, 'tenant_not_found', new Error(`Tenant '${ref.tenantId}' does not exist`), null, token);
    }
    return this.run(job, token, ref, definition, envelope, policy.maxResultSizeBytes);
  }

  private async run(
    job: Job,
    token: string,
    ref: SlotRef,
    definition: TaskDefinition,
    envelope: TaskEnvelope,
    maxResultSizeBytes: number | null,
  ): Promise<unknown> {
    const key = runningKey(ref.queue, ref.jobId);
    const entry = new RunningTask(ref, job, token);
    this.deps.running.set(key, entry);
    const attempt = job.attemptsMade + 1;
    const started = Date.now();
    const about: TaskAbout = { tenantId: ref.tenantId, queue: ref.queue, task: job.name, taskId: taskIdOf(ref.jobId) };
    const waitMs = attempt === 1 ? Math.max(0, started - job.timestamp - (job.opts.delay ?? 0)) : null;
    this.deps.emit('task:started', { tenantId: ref.tenantId, queue: ref.queue, task: job.name, taskId: about.taskId, attempt, waitMs });
    if (this.deps.logger.isLevelEnabled('debug')) this.deps.logger.debug({ ...about, attempt }, 'task started');

    const context: TaskContext = {
      taskId: about.taskId,
      tenantId: ref.tenantId,
      queue: ref.queue,
      taskName: definition.name,
      attempt,
      get signal() {
        return entry.signal;
      },
    };
    let result: unknown;
    let thrown: unknown;
    let failed = false;
    let resultSize = 0;
    try {
      result = await this.timeouts.run(() => definition.handler(...envelope.args, context), definition.timeoutMs, entry);
      // What BullMQ will store, measured only when the tenant limits it; a result that cannot
      // be serialized fails the run here rather than in BullMQ.
      if (maxResultSizeBytes !== null) resultSize = Buffer.byteLength(JSON.stringify(result) ?? 'null');
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
        return this.deadLetter(job, ref, 'result_too_large', error, started, token, about);
      }
      // moveToFinished releases the slot when BullMQ stores the result.
      this.finished(job, about, 'succeeded', started);
      return result;
    }
    if (!(thrown instanceof Error)) {
      return this.deadLetter(job, ref, 'non_error_thrown', coerceError(thrown), started, token, about);
    }
    const reason: DeadLetterReason = thrown instanceof HandlerTimeoutError ? 'timeout' : 'retries_exhausted';
    const decision = await this.deps.slots.release(
      ref,
      {
        outcome: 'failed',
        attemptsMade: job.attemptsMade,
        retries: Math.max(0, (job.opts.attempts ?? 1) - 1),
        reason,
        error: { message: thrown.message, stack: thrown.stack ?? '' },
      },
      token,
    );
    if (decision.kind === 'retry') {
      this.finished(job, about, 'retried', started, thrown);
      throw thrown;
    }
    this.deps.emit('task:dead-lettered', { ...about, reason });
    this.finished(job, about, 'dead_lettered', started, thrown, reason);
    throw unrecoverable(thrown);
  }

  /**
   * Dead-letters a task without retry and tells BullMQ to fail it for good. `started` is null
   * when the handler never ran.
   */
  private async deadLetter(
    job: Job,
    ref: SlotRef,
    reason: DeadLetterReason,
    error: Error,
    started: number | null = null,
    token = '',
    about: TaskAbout = { tenantId: ref.tenantId, queue: ref.queue, task: job.name, taskId: taskIdOf(ref.jobId) },
  ): Promise<never> {
    await this.deps.slots.release(
      ref,
      { outcome: 'dead', attemptsMade: job.attemptsMade, reason, error: { message: error.message, stack: error.stack ?? '' } },
      token,
    );
    this.deps.emit('task:dead-lettered', { ...about, reason });
    this.finished(job, about, 'dead_lettered', started, error, reason);
    throw unrecoverable(error);
  }

  private finished(job: Job, about: TaskAbout, outcome: TaskOutcome, started: number | null, error?: Error, reason?: string): void {
    const durationMs = started === null ? null : Date.now() - started;
    this.deps.emit('task:finished', { tenantId: about.tenantId, queue: about.queue, task: about.task, taskId: about.taskId, outcome, durationMs });
    const logger = this.deps.logger;
    if (error ? !logger.isLevelEnabled('warn') : !logger.isLevelEnabled('info')) return;
    const line = { ...about, outcome, durationMs, attempt: job.attemptsMade + 1, ...(reason ? { reason } : {}) };
    if (error) logger.warn({ ...line, err: error }, 'task failed');
    else logger.info(line, 'task finished');
  }
}

function unrecoverable(error: Error): UnrecoverableError {
  const wrapped = new UnrecoverableError(error.message);
  wrapped.stack = error.stack ?? wrapped.stack;
  return wrapped;
}
