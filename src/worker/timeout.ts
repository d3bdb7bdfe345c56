import { HandlerTimeoutError } from '../core/errors.js';

interface Deadline {
  at: number;
  expire: () => void;
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
   * Runs `fn` and settles with it, or rejects with {@link HandlerTimeoutError} once
   * `timeoutMs` has passed and aborts the task's signal. JavaScript cannot stop a function that
   * ignores its signal: it may go on in the background, but its outcome is no longer awaited.
   */
  run<T>(fn: () => T | Promise<T>, timeoutMs: number, abortable: { abort(reason: unknown): void }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline: Deadline = {
        at: Date.now() + timeoutMs,
        expire: () => {
          const error = new HandlerTimeoutError(timeoutMs);
          abortable.abort(error);
          reject(error);
        },
      };
      this.add(deadline);
      const settle = (): void => {
        this.remove(deadline);
      };
      try {
        Promise.resolve(fn()).then(
          (value) => (settle(), resolve(value)),
          (error: unknown) => (settle(), reject(error)),
        );
      } catch (error) {
        settle();
        reject(error);
      }
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
