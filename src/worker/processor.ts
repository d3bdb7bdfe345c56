import type { Job } from 'bullmq';
import { decodeTask, type TaskEnvelope } from '../core/envelope.js';
import { HandlerTimeoutError, ResultTooLargeError, coerceError } from '../core/errors.js';
import type { DeadLetterReason, ReleaseDecision, RunOutcome, SlotClient, SlotRef } from '../dispatcher/release.js';
import { taskIdOf } from '../core/task-ids.js';
import { checkAdmission } from './admission-check.js';
import { completeInBullmq } from './bullmq-outcome.js';
import { HandlerContext } from './handler-context.js';
import type { TaskDefinition } from '../tasks/task.js';
import type { TaskOutcome, WorkerEvents } from './events.js';
import { taskLineLogger, type Logger } from './logger.js';
import type { TenantPolicy, TenantPolicyCache } from './tenant-policy.js';
import { traceRun } from '../tracing/run.js';
import { tracingEnabled } from '../tracing/tracer.js';
import { TimeoutWatchdog } from './timeout.js';

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
    /** The slots of the task's shard, to release it on a forced stop. */
    readonly slots: SlotClient,
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

/** A run as it ended, before the dispatcher decides what follows. */
interface EndedRun {
  ref: SlotRef;
  about: TaskAbout;
  outcome: RunOutcome;
  /** The handler's result (succeeded runs). */
  result?: unknown;
  /** The error that ended the run (every other outcome). */
  error: Error | null;
  /** When the handler started; null when it never ran. */
  started: number | null;
}

/**
 * Runs one fetched job the Turbine way. Its slot was claimed when BullMQ fetched it (Turbine's
 * fetch). Every run then takes one path: run the handler with its timeout (or find that it
 * cannot run: a poison task), describe how it ended as a {@link RunOutcome}, let the
 * dispatcher release the slot and decide what follows ({@link SlotClient.settle}), and hand
 * that decision to BullMQ ({@link completeInBullmq}). A success's release rides on BullMQ's
 * finish, so it costs no extra round trip. Every task takes this path, so it allocates little
 * and awaits only what it must.
 */
export class TaskProcessor {
  private readonly timeouts = new TimeoutWatchdog();
  private readonly taskLines: Logger;

  constructor(private readonly deps: ProcessorDeps) {
    this.taskLines = taskLineLogger(deps.logger);
  }

  /** Stops checking deadlines (when the worker stops). */
  close(): void {
    this.timeouts.stop();
  }

  process(job: Job, token: string): Promise<unknown> {
    // Without a tracer (the usual case), no closures for it on every task's path.
    if (!tracingEnabled()) return this.processJob(job, token);
    return traceRun(
      job,
      () => this.processJob(job, token),
      () => this.deps.slots.takeHold(job.queueName, job.id ?? ''),
    );
  }

  private async processJob(job: Job, token: string): Promise<unknown> {
    const ended = await this.run(job, token);
    if (!ended) return completeInBullmq({ kind: 'requeued' }, undefined, null);
    const settled = this.deps.slots.settle(ended.ref, ended.outcome, token);
    const decision = settled instanceof Promise ? await settled : settled;
    this.report(job, ended, decision);
    return completeInBullmq(decision, ended.result, ended.error);
  }

  /**
   * Runs the task; null when a stopping worker put it back in its queue meanwhile. Not async:
   * with its tenant's policy cached (the usual case), the handler's run is all there is to await.
   */
  private run(job: Job, token: string): EndedRun | Promise<EndedRun | null> {
    const queue = job.queueName;
    const jobId = job.id!;
    let envelope: TaskEnvelope;
    try {
      envelope = decodeTask(job.data);
    } catch (error) {
      return poison(job, { tenantId: '', queue, jobId }, 'undecodable_payload', coerceError(error));
    }
    const problem = checkAdmission(job, envelope.tenant_id);
    if (problem) return poison(job, { tenantId: problem.tenantId, queue, jobId }, problem.reason, new Error(problem.message));
    const ref: SlotRef = { tenantId: envelope.tenant_id, queue, jobId };
    const definition = this.deps.tasks.get(job.name);
    if (!definition) {
      return poison(job, ref, 'unknown_task', new Error(`No task named '${job.name}' is registered in this worker`));
    }
    const policy = this.deps.policies.peek(ref.tenantId);
    if (policy?.exists) return this.runHandler(job, token, ref, definition, envelope, policy.maxResultSizeBytes);
    return this.runAfterPolicy(job, token, ref, definition, envelope);
  }

  /** {@link run} once the tenant's policy is read: a tenant that does not exist runs nothing. */
  private async runAfterPolicy(
    job: Job,
    token: string,
    ref: SlotRef,
    definition: TaskDefinition,
    envelope: TaskEnvelope,
  ): Promise<EndedRun | null> {
    const policy: TenantPolicy = this.deps.policies.peek(ref.tenantId) ?? (await this.deps.policies.get(ref.tenantId));
    if (!policy.exists) {
      // A deleted tenant keeps its audit trail: a tenant without one never existed.
      return (await this.deps.policies.existedOnce(ref.tenantId))
        ? poison(job, ref, 'tenant_deleted', new Error(`Tenant '${ref.tenantId}' no longer exists`))
        : poison(job, ref, 'tenant_not_found', new Error(`Tenant '${ref.tenantId}' does not exist`));
    }
    return this.runHandler(job, token, ref, definition, envelope, policy.maxResultSizeBytes);
  }

  private async runHandler(
    job: Job,
    token: string,
    ref: SlotRef,
    definition: TaskDefinition,
    envelope: TaskEnvelope,
    maxResultSizeBytes: number | null,
  ): Promise<EndedRun | null> {
    const key = runningKey(ref.queue, ref.jobId);
    const entry = new RunningTask(ref, job, token, this.deps.slots);
    this.deps.running.set(key, entry);
    const attempt = job.attemptsMade + 1;
    const started = Date.now();
    const about: TaskAbout = { tenantId: ref.tenantId, queue: ref.queue, task: job.name, taskId: taskIdOf(ref.jobId) };
    const waitMs = attempt === 1 ? Math.max(0, started - job.timestamp - (job.opts.delay ?? 0)) : null;
    this.deps.emit('task:started', { tenantId: about.tenantId, queue: about.queue, task: about.task, taskId: about.taskId, attempt, waitMs });
    if (this.deps.logger.isLevelEnabled('debug')) this.deps.logger.debug({ ...about, attempt }, 'task started');

    const context = new HandlerContext(about.taskId, ref.tenantId, ref.queue, definition.name, attempt, entry);
    let result: unknown;
    let thrown: unknown;
    let failed = false;
    let resultSize = 0;
    try {
      // A handler that throws at once is caught here, as one that rejects is.
      result = await this.timeouts.watch(definition.handler(...envelope.args, context), started, definition.timeoutMs, entry);
      // What BullMQ will store, measured only when the tenant limits it; a result that cannot
      // be serialized fails the run here rather than in BullMQ.
      if (maxResultSizeBytes !== null) resultSize = Buffer.byteLength(JSON.stringify(result) ?? 'null');
    } catch (error) {
      thrown = error;
      failed = true;
    }
    // A stopping worker put this task back in its queue meanwhile (and released its slot):
    // its outcome now belongs to the next run.
    if (this.deps.running.get(key) !== entry) return null;
    this.deps.running.delete(key);

    const attemptsMade = job.attemptsMade;
    if (!failed) {
      if (maxResultSizeBytes !== null && resultSize > maxResultSizeBytes) {
        this.deps.emit('result:rejected', { ...about, sizeBytes: resultSize, limitBytes: maxResultSizeBytes });
        const error = new ResultTooLargeError(ref.tenantId, resultSize, maxResultSizeBytes);
        return { ref, about, started, error, outcome: { kind: 'dead', reason: 'result_too_large', attemptsMade, error: runError(error) } };
      }
      return { ref, about, started, result, error: null, outcome: SUCCEEDED };
    }
    if (!(thrown instanceof Error)) {
      const error = coerceError(thrown);
      return { ref, about, started, error, outcome: { kind: 'dead', reason: 'non_error_thrown', attemptsMade, error: runError(error) } };
    }
    const reason = thrown instanceof HandlerTimeoutError ? 'timeout' : 'retries_exhausted';
    const retries = Math.max(0, (job.opts.attempts ?? 1) - 1);
    return { ref, about, started, error: thrown, outcome: { kind: 'failed', reason, attemptsMade, retries, error: runError(thrown) } };
  }

  /** Events and the log line of a run, once its fate is decided. */
  private report(job: Job, ended: EndedRun, decision: ReleaseDecision): void {
    const { about, outcome, error } = ended;
    if (decision.kind === 'dead-lettered') {
      const reason = outcome.kind === 'dead' || outcome.kind === 'failed' ? outcome.reason : 'retries_exhausted';
      this.deps.emit('task:dead-lettered', { ...about, reason });
      this.finished(job, about, 'dead_lettered', ended.started, error ?? undefined, reason);
    } else if (decision.kind === 'retry') {
      this.finished(job, about, 'retried', ended.started, error ?? undefined);
    } else if (decision.kind === 'complete') {
      this.finished(job, about, 'succeeded', ended.started);
    }
  }

  private finished(job: Job, about: TaskAbout, outcome: TaskOutcome, started: number | null, error?: Error, reason?: string): void {
    const durationMs = started === null ? null : Date.now() - started;
    this.deps.emit('task:finished', { tenantId: about.tenantId, queue: about.queue, task: about.task, taskId: about.taskId, outcome, durationMs });
    const attempt = job.attemptsMade + 1;
    if (error) {
      const logger = this.deps.logger;
      if (!logger.isLevelEnabled('warn')) return;
      logger.warn({ ...about, outcome, durationMs, attempt, ...(reason ? { reason } : {}), err: error }, 'task failed');
    } else if (this.taskLines.isLevelEnabled('info')) {
      // A line per task at info: one plain object of fixed shape (no spreads), cheap for pino to write.
      this.taskLines.info({ tenantId: about.tenantId, queue: about.queue, task: about.task, taskId: about.taskId, outcome, durationMs, attempt }, 'task finished');
    }
  }
}

const SUCCEEDED: RunOutcome = Object.freeze({ kind: 'succeeded' });

/** A task that cannot run (poison): dead-lettered at once, since retrying cannot help it. */
function poison(job: Job, ref: SlotRef, reason: DeadLetterReason, error: Error): EndedRun {
  const about: TaskAbout = { tenantId: ref.tenantId, queue: ref.queue, task: job.name, taskId: taskIdOf(ref.jobId) };
  return { ref, about, started: null, error, outcome: { kind: 'dead', reason, attemptsMade: job.attemptsMade, error: runError(error) } };
}

function runError(error: Error): { message: string; stack: string } {
  return { message: error.message, stack: error.stack ?? '' };
}
