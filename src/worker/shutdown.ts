import type { Worker } from 'bullmq';
import { settledWithin } from '../core/deadline.js';
import { coerceError } from '../core/errors.js';
import type { Logger } from './logger.js';
import type { RunningTask } from './processor.js';

/** Longest wait for one step of a shutdown that needs Redis (which may be gone). */
export const STEP_DEADLINE_MS = 3000;

export interface DrainDeps {
  workers: readonly Worker[];
  running: Map<string, RunningTask>;
  logger: Logger;
  graceMs: number;
  reportError: (error: Error, queue?: string) => void;
}

/**
 * Stops taking tasks and waits for the running ones, until they finish (`drained`), the grace
 * period ends or `forced` resolves; then puts the tasks still running back in their queues,
 * so they are redelivered, not lost.
 */
export async function drainConsumers(deps: DrainDeps, forced: Promise<'forced'>): Promise<void> {
  const { workers, running, logger } = deps;
  const grace = new Promise<'forced'>((resolve) => setTimeout(() => resolve('forced'), deps.graceMs).unref());
  const drained = Promise.all(workers.map((w) => w.close())).then(() => 'drained' as const);
  if ((await Promise.race([drained, forced, grace])) === 'drained') return;
  logger.warn({ running: running.size }, 'stopping now: running tasks are put back in their queues');
  // With Redis away this cannot finish: the locks then expire and BullMQ redelivers the tasks.
  if (!(await settledWithin(requeueRunning(deps), STEP_DEADLINE_MS))) {
    logger.warn('could not put running tasks back (Redis unreachable): they are redelivered when their locks expire');
  }
  // BullMQ's close() returns the graceful close already under way, which waits for the
  // handlers: do not wait for it; the connections are cut by the caller.
  for (const worker of workers) void worker.close(true).catch(() => undefined);
}

async function requeueRunning(deps: DrainDeps): Promise<void> {
  const tasks = [...deps.running.values()];
  deps.running.clear();
  await Promise.all(
    tasks.map(async (task) => {
      const { ref, job, token } = task;
      task.abort(new Error('worker stopping'));
      try {
        // Release first: once back in the wait list another worker may claim it at once.
        await task.slots.settle(ref, { kind: 'requeued' }, token);
        await job.moveToWait(token);
      } catch (error) {
        // Not fatal: the lock expires and BullMQ redelivers the task as stalled.
        deps.reportError(coerceError(error), ref.queue);
      }
    }),
  );
}
