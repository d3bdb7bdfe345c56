import { InvalidArgumentError } from '../core/errors.js';

/**
 * How long and how many finished tasks stay readable by `AsyncResult.get()`. BullMQ applies
 * both bounds per queue when it finishes a job (its `removeOnComplete: { age, count }`), so
 * the memory finished tasks take is bounded by the counts whatever the rate: docs/deployment.md
 * gives that bound in bytes.
 */
export interface ResultRetention {
  /** Completed tasks are removed after this many seconds. @defaultValue 86400 (24 h) */
  keepCompletedSeconds: number;
  /** At most this many completed tasks are kept per queue (the oldest go first). @defaultValue 10000 */
  keepCompletedCount: number;
  /** Failed tasks are removed after this many seconds. @defaultValue 604800 (7 days) */
  keepFailedSeconds: number;
  /** At most this many failed tasks are kept per queue. @defaultValue 10000 */
  keepFailedCount: number;
}

export const DEFAULT_RETENTION: Readonly<ResultRetention> = {
  keepCompletedSeconds: 24 * 3600,
  keepCompletedCount: 10_000,
  keepFailedSeconds: 7 * 24 * 3600,
  keepFailedCount: 10_000,
};

/** What one task definition asks for its own results. */
export interface TaskRetention {
  /** Store no result: the task's job is removed as it completes (failures are kept). */
  ignoreResult: boolean;
  /** Overrides the app's `keepCompletedSeconds` for this task. */
  keepResultSeconds: number | undefined;
}

/** The app's retention with defaults filled in; each value a positive integer. */
export function resolveRetention(input: Partial<ResultRetention> | undefined): ResultRetention {
  const out = { ...DEFAULT_RETENTION };
  for (const name of Object.keys(DEFAULT_RETENTION) as (keyof ResultRetention)[]) {
    const value = input?.[name];
    if (value !== undefined) out[name] = checkRetention(`results.${name}`, value);
  }
  return out;
}

export function checkRetention(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`Invalid ${name} ${JSON.stringify(value)}: expected a whole number from 1 to ${2 ** 31 - 1}`);
  }
  return value;
}

/** BullMQ's `removeOnComplete` and `removeOnFail` for a task. */
export function retentionJobOptions(app: ResultRetention, task: TaskRetention): Record<string, unknown> {
  return {
    removeOnComplete: task.ignoreResult
      ? true
      : { age: task.keepResultSeconds ?? app.keepCompletedSeconds, count: app.keepCompletedCount },
    removeOnFail: { age: app.keepFailedSeconds, count: app.keepFailedCount },
  };
}
