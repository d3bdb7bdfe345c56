import { DelayedError, UnrecoverableError } from 'bullmq';
import { withCodeLine } from '../core/failure-stack.js';
import type { ReleaseDecision } from '../dispatcher/release.js';

/**
 * What BullMQ must do after a run, from the dispatcher's decision: the one place that turns a
 * decision into BullMQ's vocabulary. A processor's return value completes the job; a thrown
 * error fails it, and BullMQ retries it with the job's backoff unless the error is an
 * `UnrecoverableError`; a `DelayedError` leaves the job where it was put (back in its queue).
 */
export function completeInBullmq(decision: ReleaseDecision, result: unknown, error: Error | null): unknown {
  switch (decision.kind) {
    case 'complete':
      return result;
    case 'retry':
      throw error ?? new Error('failed');
    case 'dead-lettered':
      throw unrecoverable(error ?? new Error('dead-lettered'));
    case 'requeued':
      throw new DelayedError();
  }
}

function unrecoverable(error: Error): UnrecoverableError {
  const wrapped = new UnrecoverableError(error.message);
  // The error's own stack (so its name) and code, for AsyncResult.get() to rethrow it by class.
  wrapped.stack = withCodeLine(error) ?? wrapped.stack;
  return wrapped;
}
