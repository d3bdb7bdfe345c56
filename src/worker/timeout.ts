/** A handler ran longer than its task's `timeoutMs`. */
export class HandlerTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Task timed out after ${timeoutMs} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

/**
 * Runs `fn` and settles with it, or rejects with {@link HandlerTimeoutError} after `timeoutMs`
 * and aborts the task's signal. JavaScript cannot stop a function that ignores its signal: it
 * may go on in the background, but its outcome is no longer awaited.
 */
export async function runWithTimeout<T>(
  fn: () => T | Promise<T>,
  timeoutMs: number,
  abortable: { abort(reason: unknown): void },
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const running = Promise.resolve().then(fn);
  // A handler that rejects after its timeout must not become an unhandled rejection.
  running.catch(() => undefined);
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new HandlerTimeoutError(timeoutMs);
      abortable.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([running, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
