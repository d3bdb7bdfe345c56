import { FunctionRunner } from '../store/function-runner.js';
import type { RedisClient } from '../store/connection.js';
import { NotReplicatedError, type TurbineError } from '../core/errors.js';
import { errorFromScript } from '../core/script-errors.js';
import { replyInteger, replyList, replyString, unexpectedReply } from '../core/script-reply.js';
import { isOutOfMemoryReply, RedisMemoryPressureError } from './memory-pressure.js';
import { DEFAULT_REPLICATION_TIMEOUT_MS, waitForReplicas, type ReplicationRequirement } from './replication.js';
import { dispatcherScripts } from './scripts.js';
import type { KeyLayout } from '../core/keys.js';
import { generateTaskId, jobIdOf } from '../core/task-ids.js';

/** One task to admit, fully resolved (tenant, queue, encoded data, BullMQ options). */
export interface AdmissionRequest {
  tenantId: string;
  queue: string;
  taskName: string;
  data: string;
  argsSize: number;
  /** BullMQ job options, stored as the job's `opts`. */
  jobOptions: Record<string, unknown>;
  /**
   * A task id chosen by the caller (idempotent within its tenant: a second submission returns
   * the first). Without one, a fresh id is generated.
   */
  taskId?: string;
}

/** Where an admitted task went. */
export type Placement = 'queued' | 'held' | 'deferred' | 'duplicate';

export type AdmissionOutcome =
  | { ok: true; taskId: string; jobId: string; placement: Placement }
  | { ok: false; error: TurbineError };

/** The placement codes of `admitTasks-1.lua`'s reply (its table `Placed`). */
export const PlacementCode = { Queued: 1, Held: 2, Deferred: 3, Duplicate: 4 } as const;

const PLACEMENTS: Record<number, Placement> = {
  [PlacementCode.Queued]: 'queued',
  [PlacementCode.Held]: 'held',
  [PlacementCode.Deferred]: 'deferred',
  [PlacementCode.Duplicate]: 'duplicate',
};

/** One task's part of `admitTasks-1.lua`'s reply: where it went, or why it was refused. */
export type AdmitReply = { placement: Placement; jobId: string } | { refusal: TurbineError };

/** Values per task in `admitTasks-1.lua`'s reply: a code, then two values. */
const REPLY_WIDTH = 3;

/** A numeric job option (`delay`, `priority`) as the admission script takes it: 0 when unset. */
function numberOption(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Tasks per script call: large enough to amortize the round trip, small enough not to stall Redis. */
export const ADMISSION_CHUNK = 500;

/**
 * Admits tasks through `admitTasks-1.lua`: each task is checked against its tenant's quotas,
 * counted and stored (dispatched or held back) in one atomic step, so concurrent producers can
 * never overshoot a quota and a refused task writes nothing but its usage count. A chunk Redis
 * refuses for lack of memory (`OOM`) is refused as a whole with `RedisMemoryPressureError`.
 */
export async function admitTasks(
  client: RedisClient,
  keys: KeyLayout,
  requests: readonly AdmissionRequest[],
  replication?: ReplicationRequirement,
): Promise<AdmissionOutcome[]> {
  const outcomes: AdmissionOutcome[] = [];
  for (let start = 0; start < requests.length; start += ADMISSION_CHUNK) {
    const chunk = requests.slice(start, start + ADMISSION_CHUNK);
    const args: (string | number)[] = [keys.prefix, Date.now(), chunk.length];
    const taskIds = chunk.map((r) => r.taskId ?? generateTaskId());
    chunk.forEach((r, i) => {
      const generated = r.taskId === undefined ? 1 : 0;
      // The tenant travels in the options too (`tid`), where the worker's fetch reads it cheaply.
      const options = JSON.stringify({ ...r.jobOptions, tid: r.tenantId });
      const delay = numberOption(r.jobOptions.delay);
      const priority = numberOption(r.jobOptions.priority);
      args.push(r.tenantId, r.queue, r.taskName, r.data, options, r.argsSize, jobIdOf(r.tenantId, taskIds[i]!), generated, delay, priority);
    });
    let reply: unknown;
    try {
      reply = await admissionRunner(client).run(dispatcherScripts.admitTasks, [keys.tenants(), ...args]);
    } catch (error) {
      // Redis refused the whole script before its first write: nothing of this chunk was stored.
      if (!isOutOfMemoryReply(error)) throw error;
      const refusal = new RedisMemoryPressureError(null, null, 1);
      for (let i = 0; i < chunk.length; i++) outcomes.push({ ok: false, error: refusal });
      continue;
    }
    decodeAdmitTasks(reply, chunk.map((r) => r.tenantId)).forEach((admitted, i) => {
      if ('refusal' in admitted) {
        outcomes.push({ ok: false, error: admitted.refusal });
        return;
      }
      outcomes.push({ ok: true, taskId: taskIds[i]!, jobId: admitted.jobId, placement: admitted.placement });
    });
  }
  if (replication && replication.replicas > 0) await confirmReplicated(client, keys, outcomes, replication);
  return outcomes;
}

/**
 * Admission runs as a Redis Function where the server allows it, like the worker's fetch and
 * finish: the script's many helper functions are then defined once per server, not on every
 * call (for a single task, that was most of a submission's cost in Redis). Without Redis's
 * `allow-oom` flag: a full Redis refuses producers. One runner per connection.
 */
const admissionRunners = new WeakMap<RedisClient, FunctionRunner>();
function admissionRunner(client: RedisClient): FunctionRunner {
  let runner = admissionRunners.get(client);
  if (!runner) admissionRunners.set(client, (runner = new FunctionRunner(client, [dispatcherScripts.admitTasks], false)));
  return runner;
}

/**
 * Decodes `admitTasks-1.lua`'s reply for tasks of `tenantIds` (in the order sent): three values
 * per task, a placement code and the job id, or a refusal code (`ScriptErrorCode`) and its details.
 */
export function decodeAdmitTasks(reply: unknown, tenantIds: readonly string[]): AdmitReply[] {
  const list = replyList('admitTasks', reply, tenantIds.length * REPLY_WIDTH, `${REPLY_WIDTH} values per task`);
  return tenantIds.map((tenantId, i) => {
    const at = i * REPLY_WIDTH;
    const code = replyInteger('admitTasks', list[at], 'a placement or refusal code');
    if (code < 0) return { refusal: errorFromScript(code, tenantId, [list[at + 1], list[at + 2]]) };
    const placement = PLACEMENTS[code];
    if (!placement) throw unexpectedReply('admitTasks', list[at], 'a placement code 1-4 or a refusal code');
    return { placement, jobId: replyString('admitTasks', list[at + 1], 'a job id') };
  });
}

/** Raises {@link NotReplicatedError} unless enough replicas hold the tasks just stored. */
async function confirmReplicated(
  client: RedisClient,
  keys: KeyLayout,
  outcomes: readonly AdmissionOutcome[],
  { replicas, timeoutMs = DEFAULT_REPLICATION_TIMEOUT_MS }: ReplicationRequirement,
): Promise<void> {
  const stored = outcomes.flatMap((o) => (o.ok && o.placement !== 'duplicate' ? [o.taskId] : []));
  if (stored.length === 0) return;
  const confirmed = await waitForReplicas(client, keys.tenants(), replicas, timeoutMs);
  if (confirmed < replicas) throw new NotReplicatedError(stored, confirmed, replicas, timeoutMs);
}
