import type { Job } from 'bullmq';
import { HandlerTimeoutError, ResultTooLargeError, TaskFailedError, type TurbineError } from '../core/errors.js';
import { codeInStack } from '../core/failure-stack.js';

/**
 * The worker stores a failure as BullMQ does, as a message and a stack whose first line is
 * `<name>: <message>`, plus a last line `code: <code>` when the error had one (see
 * `core/failure-stack.ts`). This rebuilds the error on the producer's side, as its own class where
 * Turbine raised it, so callers can `catch` a result that was too large or a timeout by class.
 */
export function remoteFailure(job: Job): TurbineError {
  const reason = job.failedReason || 'failed';
  const stack = job.stacktrace?.at(-1) ?? undefined;
  const name = /^([A-Za-z_$][\w$]*)(?::|$)/.exec(stack ?? '')?.[1] ?? 'Error';
  const code = codeInStack(stack);
  if (name === 'ResultTooLargeError') {
    const [, size, limit, tenant] = /(\d+) bytes > max_result_size_bytes (\d+) of tenant '([^']*)'/.exec(reason) ?? [];
    if (size && limit && tenant !== undefined) return new ResultTooLargeError(tenant, Number(size), Number(limit));
  }
  if (name === 'HandlerTimeoutError') {
    const ms = /after (\d+) ms/.exec(reason)?.[1];
    if (ms) return new HandlerTimeoutError(Number(ms));
  }
  return new TaskFailedError(job.id ?? '', reason, stack, name, code);
}
