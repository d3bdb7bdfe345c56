import { HandlerTimeoutError } from '../core/errors.js';

/** A running handler's deadline: past it, the handler is aborted and no longer awaited. */
class Deadline {
  constructor(
    readonly at: number,
    private readonly timeoutMs: number,
    private readonly abortable: { abort(reason: unknown): void },
    private readonly reject: (error: unknown) => void,
  ) {}

  expire(): void {
    const error = new HandlerTimeoutError(this.timeoutMs);
    this.abortable.abort(error);
    this.reject(error);
  }
}

/** How often running tasks are checked for their deadline: timeouts fire within this of it. */
export const TIMEOUT_RESOLUTION_MS = 100;

/**
 * Deadlines of running handlers, checked by one interval timer while any task runs, rather
 * than a timer per task: this is on every task's path, and timeouts are rare.
 */
export class TimeoutWatchdog {
  private readonly deadlines = new Set<Deadline>();
  private timer: NodeJS.Timeout | null = null;

  /**
   * Settles with `outcome` (a handler's result, or the promise of it), or rejects with
   * {@link HandlerTimeoutError} once `timeoutMs` has passed since `startedAt` (when the handler
   * was called) and aborts the task's signal.
   * JavaScript cannot stop a function that ignores its signal: it may go on in the background,
   * but its outcome is no longer awaited.
   */
  watch<T>(outcome: T | Promise<T>, startedAt: number, timeoutMs: number, abortable: { abort(reason: unknown): void }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = new Deadline(startedAt + timeoutMs, timeoutMs, abortable, reject);
      this.add(deadline);
      Promise.resolve(outcome).then(
        (value) => {
          this.remove(deadline);
          resolve(value);
        },
        (error: unknown) => {
          this.remove(deadline);
          reject(error);
        },
      );
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.deadlines.clear();
  }

  private add(deadline: Deadline): void {
    this.deadlines.add(deadline);
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), TIMEOUT_RESOLUTION_MS);
      this.timer.unref();
    }
  }

  private remove(deadline: Deadline): void {
    this.deadlines.delete(deadline);
    if (this.deadlines.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private check(): void {
    const now = Date.now();
    for (const deadline of this.deadlines) {
      if (deadline.at <= now) {
        this.remove(deadline);
        deadline.expire();
      }
    }
  }
}
