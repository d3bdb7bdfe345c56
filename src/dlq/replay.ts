import { createHash } from 'node:crypto';
import type { AdmissionRequest, Placement } from '../dispatcher/admission.js';
import { decodeTask, type TaskEnvelope } from '../core/envelope.js';
import type { TurbineError } from '../core/errors.js';
import { assertTaskId, isValidQueueName, isValidTenantId } from '../tenancy/validation.js';
import type { DeadLetterEntry } from './entry.js';
import { DeadLetterNotReplayableError } from './errors.js';

/** What a replay did with one entry: resubmitted (and removed), or refused (and kept). */
export type ReplayOutcome =
  | {
      ok: true;
      entryId: string;
      tenantId: string;
      queue: string;
      task: string;
      /** The new task's id (see {@link replayTaskId}). */
      taskId: string;
      /** `duplicate` when an earlier replay of the same entry had already resubmitted it. */
      placement: Placement;
    }
  | { ok: false; entryId: string; error: TurbineError };

export type ReplayedTask = Extract<ReplayOutcome, { ok: true }>;

/**
 * BullMQ options a replay keeps: the retry policy, priority and result retention. Dropped:
 * `delay` (a replay runs now) and whatever tied the job to its first life (its id, parent,
 * repeat or deduplication keys).
 */
const KEPT_OPTIONS = ['attempts', 'backoff', 'priority', 'removeOnComplete', 'removeOnFail', 'stackTraceLimit'];

/**
 * The id of the task a replay submits, derived from the entry alone, so that replaying the same
 * entry twice (after a crash between "admitted" and "entry removed", or from two operators at
 * once) is answered by admission as a duplicate instead of running the task twice. The time of
 * dead-lettering is part of it: if the same job is dead-lettered again later, that is a new
 * failure and its replay a new task.
 */
export function replayTaskId(entry: Pick<DeadLetterEntry, 'entryId' | 'taskId' | 'deadAt'>): string {
  const stamp = entry.deadAt.getTime().toString(36);
  const readable = `${entry.taskId}.replay-${stamp}`;
  try {
    return assertTaskId(readable);
  } catch {
    // A job id with characters task ids do not allow, or too long: still deterministic.
    return `replay-${createHash('sha256').update(`${entry.entryId}@${stamp}`).digest('hex').slice(0, 32)}`;
  }
}

/** The admission request that resubmits an entry's task: same name, queue, tenant, data and retry policy. */
export function replayRequest(entry: DeadLetterEntry): AdmissionRequest {
  let envelope: TaskEnvelope;
  try {
    envelope = decodeTask(entry.data);
  } catch (error) {
    throw new DeadLetterNotReplayableError(entry.entryId, `its payload is not a Turbine task (${(error as Error).message})`);
  }
  if (!entry.task) throw new DeadLetterNotReplayableError(entry.entryId, 'its task name was not recorded');
  // A job added with plain BullMQ can carry any tenant_id; admission builds keys from it.
  if (!isValidTenantId(envelope.tenant_id)) {
    throw new DeadLetterNotReplayableError(entry.entryId, `its tenant id ${JSON.stringify(envelope.tenant_id)} is not valid`);
  }
  if (!isValidQueueName(entry.queue)) {
    throw new DeadLetterNotReplayableError(entry.entryId, `its queue name ${JSON.stringify(entry.queue)} is not valid`);
  }
  const jobOptions: Record<string, unknown> = {};
  for (const name of KEPT_OPTIONS) {
    if (entry.jobOptions?.[name] !== undefined) jobOptions[name] = entry.jobOptions[name];
  }
  return {
    tenantId: envelope.tenant_id,
    queue: entry.queue,
    taskName: entry.task,
    data: entry.data,
    argsSize: Buffer.byteLength(JSON.stringify(envelope.args)),
    jobOptions,
    taskId: replayTaskId(entry),
  };
}
