import type { Job } from 'bullmq';
import type { Placement } from '../dispatcher/admission.js';
import { TaskFailedError, TaskNotFoundError, TimeoutError } from '../core/errors.js';
import type { ResultSource } from './ports.js';
import { remoteFailure } from './remote-failure.js';
import { cancelTask } from './cancel.js';
import { readTaskState } from './task-state.js';
import type { TaskStatus } from './types.js';

/** A submitted task: ask where it is, or wait for its result. */
export class AsyncResult<R = unknown> {
  constructor(
    private readonly app: ResultSource,
    readonly taskId: string,
    readonly queue: string,
    readonly tenantId: string,
    /** Where admission put it; undefined for a handle made from an id. */
    readonly placement?: Placement,
  ) {}

  /** Where the task is now; `unknown` when there is no such task of this tenant (or it was removed). */
  async status(): Promise<TaskStatus> {
    const job = await this.app.getJob(this.queue, this.taskId, this.tenantId);
    if (!job?.id) return 'unknown';
    return readTaskState(await this.app.client(), await this.app.keysFor(this.tenantId), { tenantId: this.tenantId, queue: this.queue, jobId: job.id });
  }

  /**
   * Cancels the task if it has not started: true when it was waiting, held or delayed and is
   * now removed (its slot goes to the tenant's next task at once), false when it is running,
   * finished or unknown.
   */
  async cancel(): Promise<boolean> {
    const outcome = await cancelTask(await this.app.client(), await this.app.keysFor(this.tenantId), this);
    return outcome.cancelled;
  }

  /**
   * Waits for the task to finish and returns its result, or rejects with the failure: a
   * `ResultTooLargeError`, a `HandlerTimeoutError`, or a {@link TaskFailedError}
   * carrying the name and code of the error the handler threw. Waiting is event-driven (BullMQ's event stream), not polling.
   */
  async get({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<R> {
    const job = await this.app.getJob(this.queue, this.taskId, this.tenantId);
    if (!job) throw new TaskNotFoundError(this.queue, this.taskId);
    if (job.finishedOn) return settled<R>(job);
    const events = await this.app.queueEvents(this.queue, this.tenantId);
    try {
      return (await job.waitUntilFinished(events, timeoutMs)) as R;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/timed out before finishing/i.test(message)) {
        throw new TimeoutError(`Task '${this.taskId}' did not finish within ${timeoutMs} ms`);
      }
      const reread = await this.app.getJob(this.queue, this.taskId, this.tenantId);
      if (reread?.finishedOn) return settled<R>(reread);
      throw new TaskFailedError(this.taskId, message);
    }
  }
}

async function settled<R>(job: Job): Promise<R> {
  if (await job.isFailed()) throw remoteFailure(job);
  return job.returnvalue as R;
}
