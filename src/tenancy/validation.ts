import { InvalidArgumentError, InvalidTenantIdError } from '../core/errors.js';

/**
 * Tenant ids and queue names become parts of Redis keys, so `:`, `{`, `}`, `*` and spaces
 * would break key isolation (or a cluster hash tag); only this safe alphabet is allowed.
 */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidTenantId(value: unknown): value is string {
  return typeof value === 'string' && NAME_RE.test(value);
}

export function assertTenantId(value: unknown): string {
  if (!isValidTenantId(value)) throw new InvalidTenantIdError(value);
  return value;
}

export function isValidQueueName(value: unknown): value is string {
  return typeof value === 'string' && NAME_RE.test(value);
}

export function assertQueueName(value: unknown): string {
  if (!isValidQueueName(value)) {
    throw new InvalidArgumentError(
      `Invalid queue name ${JSON.stringify(value)}: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit`,
    );
  }
  return value;
}

/**
 * A worker pool's name: part of the keys of its wait lists, so it takes a queue name's
 * alphabet (no `@`, which separates it from the queue in a lane's name).
 */
export function assertPoolName(value: unknown): string {
  if (typeof value !== 'string' || !NAME_RE.test(value)) {
    throw new InvalidArgumentError(
      `Invalid pool ${JSON.stringify(value)}: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit ('shared' is the default pool)`,
    );
  }
  return value;
}

/** Task ids are job ids: they must not look like BullMQ's generated ids or contain `:`. */
const TASK_ID_RE = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Names of BullMQ's own keys in a queue (`<prefix>:<queue>:wait`, …): a job id equal to one
 * would share its key, so such ids are refused.
 */
const BULLMQ_KEY_NAMES = new Set([
  'active', 'wait', 'waiting-children', 'paused', 'id', 'delayed', 'prioritized', 'stalled-check',
  'completed', 'failed', 'stalled', 'repeat', 'limiter', 'meta', 'events', 'pc', 'marker', 'de', 'metrics',
]);

export function assertTaskId(value: unknown): string {
  if (typeof value !== 'string' || !TASK_ID_RE.test(value) || /^\d+$/.test(value)) {
    throw new InvalidArgumentError(
      `Invalid task id ${JSON.stringify(value)}: use 1-128 letters, digits, '-', '_' or '.', not only digits (those are generated ids)`,
    );
  }
  if (BULLMQ_KEY_NAMES.has(value)) {
    throw new InvalidArgumentError(`Invalid task id '${value}': it is the name of one of the queue's own keys; choose another`);
  }
  return value;
}

const TASK_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}$/;

export function assertTaskName(value: unknown): string {
  if (typeof value !== 'string' || !TASK_NAME_RE.test(value)) {
    throw new InvalidArgumentError(
      `Invalid task name ${JSON.stringify(value)}: use 1-128 letters, digits, '_', '.', ':', '/' or '-'; anonymous handlers need an explicit name`,
    );
  }
  return value;
}

/** A task id to look up: an id Turbine generates (digits) or one a caller chose. */
export function assertTaskLookupId(value: unknown): string {
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return assertTaskId(value);
}
