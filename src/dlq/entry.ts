import { decodeTask } from '../core/envelope.js';
import type { DeadLetterReason } from '../dispatcher/release.js';
import { taskIdOf } from '../core/task-ids.js';
import type { JsonValue } from '../tenancy/tenant.js';

/**
 * A task in the dead-letter queue, as `src/core/lua/includes/deadLetter.lua` stored it: a copy
 * of what is needed to inspect and replay it, which outlives the BullMQ job's retention.
 */
export interface DeadLetterEntry {
  /**
   * `<queue>:<job id>` (with `:2`, `:3`, … for a later failure of the same job): the id `get`,
   * `replay` and the CLI take. Never reused while the entry exists.
   */
  entryId: string;
  /** Null when the payload could not be read (reason `undecodable_payload`). */
  tenantId: string | null;
  queue: string;
  /** The task's id, as its submitter knows it. */
  taskId: string;
  /** The BullMQ job id the task had (`<tenant>@<task id>`). */
  jobId: string;
  /** Task name; '' when the job was gone before it was dead-lettered. */
  task: string;
  /** The task's arguments; null when the payload is not a Turbine envelope (see `data`). */
  args: JsonValue[] | null;
  /** The job's data exactly as stored (`{"tenant_id":…,"args":[…]}` for a Turbine task). */
  data: string;
  /** The job's BullMQ options (attempts, backoff, …); null when not recorded or unreadable. */
  jobOptions: Record<string, unknown> | null;
  /** Runs made, the last included (0 for a held task dead-lettered with its deleted tenant). */
  attempts: number;
  /** Known reasons are {@link DeadLetterReason}; kept as a string so a newer writer's reason still reads. */
  reason: DeadLetterReason | (string & Record<never, never>);
  /** The last error's message. */
  error: string;
  /** The last error's stack; '' when there was none (a stalled task). */
  stack: string;
  deadAt: Date;
  submittedAt: Date | null;
}

/** `turbine dlq … --json`: the same fields with the stored (snake_case) names. */
export interface DeadLetterEntryJson {
  entry_id: string;
  tenant_id: string | null;
  queue: string;
  task_id: string;
  job_id: string;
  task: string;
  args: JsonValue[] | null;
  data: string;
  job_options: Record<string, unknown> | null;
  attempts: number;
  reason: string;
  error: string;
  stack: string;
  dead_at: string;
  submitted_at: string | null;
}

/** Reads an entry's hash (HGETALL); null for a missing hash (an index member without entry). */
export function parseDeadLetterEntry(hash: Record<string, string>): DeadLetterEntry | null {
  if (!hash.entry_id) return null;
  const data = hash.data ?? '';
  const submitted = Number(hash.submitted_at);
  return {
    entryId: hash.entry_id,
    tenantId: hash.tenant_id ? hash.tenant_id : null,
    queue: hash.queue ?? '',
    taskId: taskIdOf(hash.job_id ?? ''),
    jobId: hash.job_id ?? '',
    task: hash.task ?? '',
    args: argsOf(data),
    data,
    jobOptions: optionsOf(hash.opts),
    attempts: Number(hash.attempts) || 0,
    reason: hash.reason ?? '',
    error: hash.error ?? '',
    stack: hash.stack ?? '',
    deadAt: new Date(Number(hash.dead_at) || 0),
    submittedAt: hash.submitted_at && Number.isFinite(submitted) ? new Date(submitted) : null,
  };
}

export function deadLetterEntryToJson(entry: DeadLetterEntry): DeadLetterEntryJson {
  return {
    entry_id: entry.entryId,
    tenant_id: entry.tenantId,
    queue: entry.queue,
    task_id: entry.taskId,
    job_id: entry.jobId,
    task: entry.task,
    args: entry.args,
    data: entry.data,
    job_options: entry.jobOptions,
    attempts: entry.attempts,
    reason: entry.reason,
    error: entry.error,
    stack: entry.stack,
    dead_at: entry.deadAt.toISOString(),
    submitted_at: entry.submittedAt ? entry.submittedAt.toISOString() : null,
  };
}

function argsOf(data: string): JsonValue[] | null {
  try {
    return decodeTask(data).args;
  } catch {
    return null;
  }
}

function optionsOf(text: string | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
