import type { RedisClient } from '../store/connection.js';
import type { KeyLayout } from '../core/keys.js';
import { isCodeAlone, replyInteger, replyIntegers, unexpectedReply } from '../core/script-reply.js';
import { dispatcherScripts } from './scripts.js';

/** Why a task went to the dead-letter queue. */
export type DeadLetterReason =
  | 'retries_exhausted'
  | 'timeout'
  | 'result_too_large'
  | 'unknown_task'
  | 'undecodable_payload'
  | 'non_error_thrown'
  | 'tenant_deleted'
  /** The job names a tenant that never existed. */
  | 'tenant_not_found'
  /** Added around admission (plain BullMQ), so it skipped its tenant's quotas. */
  | 'not_admitted'
  /** The tenant charged for its slot is not the tenant its data names. */
  | 'tenant_mismatch'
  | 'stalled';

/** The error of a run, as the dead-letter entry keeps it. */
export interface RunError {
  message: string;
  stack: string;
}

/**
 * How one run of a task ended, as the worker reports it to {@link SlotClient.settle}:
 * - `succeeded`: the handler returned a result that may be stored;
 * - `failed`: the handler threw or timed out; the tenant's retry policy decides what follows;
 * - `dead`: the task cannot succeed by retrying (poison, result too large, stalled too often);
 * - `requeued`: a stopping worker put the task back in its queue.
 */
export type RunOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; reason: 'retries_exhausted' | 'timeout'; attemptsMade: number; retries: number; error: RunError }
  | { kind: 'dead'; reason: DeadLetterReason; attemptsMade: number; error: RunError }
  | { kind: 'requeued' };

/** What happens to the task next, decided with the tenant's policy as it is now. */
export type ReleaseDecision =
  | { kind: 'complete' }
  | { kind: 'requeued' }
  | { kind: 'retry'; allowedRetries: number }
  | { kind: 'dead-lettered'; allowedRetries: number };

/** A task a worker is running, as the slot scripts name it. */
export interface SlotRef {
  tenantId: string;
  queue: string;
  jobId: string;
}

/** Shared by every successful run: nothing to allocate on the path every task takes. */
const COMPLETE: ReleaseDecision = Object.freeze({ kind: 'complete' });

/** The decision codes of `releaseTask-1.lua` (its locals REQUEUED, RETRY, DEAD_LETTERED). */
export const ReleaseCode = { Requeued: 1, Retry: 3, DeadLettered: 4 } as const;

/**
 * The worker's side of slot accounting. A task's slot is claimed when BullMQ fetches it
 * (Turbine's fetch, in `bullmq-backend.ts`); every run then ends in one call to
 * {@link settle}, whatever its outcome, which releases the slot (handing the room to the
 * tenant's held tasks) and says what happens to the task next.
 */
/** Why a task was held back (as `turbine task show` says it). */
export type HeldReason = 'disabled' | 'cap' | 'rate' | 'window' | 'behind_older_tasks';

/** When a task was held back and why, and when it was promoted to its queue (epoch ms). */
export interface HoldRecord {
  heldAt: number;
  reason: HeldReason;
  releasedAt: number;
}

export class SlotClient {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeyLayout,
    private readonly leaseMs: number,
  ) {}

  /**
   * Releases the slot of a run that ended with `outcome`. A success costs no call here: its
   * slot is released by Turbine's finish script in the same round trip in which BullMQ stores
   * the result, so the decision is known at once, and returned as it is (not a promise to
   * await, on the path of every task). `ref.tenantId` is '' when the task's payload could not be
   * read; `token` is the run's lock token ('' when there was no run).
   */
  settle(ref: SlotRef, outcome: RunOutcome, token = ''): ReleaseDecision | Promise<ReleaseDecision> {
    if (outcome.kind === 'succeeded') return COMPLETE;
    return this.release(ref, outcome, token);
  }

  private async release(ref: SlotRef, outcome: Exclude<RunOutcome, { kind: 'succeeded' }>, token: string): Promise<ReleaseDecision> {
    const failure = outcome.kind === 'requeued' ? null : outcome;
    const reply = await dispatcherScripts.releaseTask.run(this.client, [this.keys.tenants()], [
      this.keys.prefix,
      ref.tenantId,
      ref.queue,
      ref.jobId,
      Date.now(),
      outcome.kind,
      failure?.attemptsMade ?? 0,
      outcome.kind === 'failed' ? outcome.retries : 0,
      failure?.reason ?? '',
      failure?.error.message ?? '',
      failure?.error.stack ?? '',
      token,
    ]);
    return decodeReleaseTask(reply);
  }

  /**
   * Takes the hold record of a task about to run (see held.lua: when it was held back, why, and
   * when it was promoted), deleting it so that a later attempt that was not held shows none.
   * Null when this run was not held.
   */
  async takeHold(queue: string, jobId: string): Promise<HoldRecord | null> {
    const jobKey = `${this.keys.bullPrefix()}:${queue}:${jobId}`;
    const replies = await this.client.multi().hmget(jobKey, 'thld', 'trel').hdel(jobKey, 'thld', 'trel').exec();
    const [held, released] = (replies?.[0]?.[1] ?? []) as (string | null)[];
    const match = held ? /^(\d+):(\w+)$/.exec(held) : null;
    if (!match || !released) return null;
    return { heldAt: Number(match[1]), reason: match[2] as HeldReason, releasedAt: Number(released) };
  }

  /** Extends the running leases of `refs` (with BullMQ's lock renewal); returns how many. */
  async renew(refs: readonly SlotRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    const args: (string | number)[] = [this.keys.prefix, Date.now() + this.leaseMs];
    for (const ref of refs) args.push(ref.tenantId, ref.queue, ref.jobId);
    return replyInteger('renewLeases', await dispatcherScripts.renewLeases.run(this.client, [this.keys.tenants()], args), 'a count of leases');
  }
}

/** Decodes `releaseTask-1.lua`'s reply: `{REQUEUED}`, `{RETRY, allowed}` or `{DEAD_LETTERED, allowed}`. */
export function decodeReleaseTask(reply: unknown): ReleaseDecision {
  if (isCodeAlone(reply, ReleaseCode.Requeued)) return { kind: 'requeued' };
  const { code, allowedRetries } = replyIntegers('releaseTask', reply, ['code', 'allowedRetries']);
  switch (code) {
    case ReleaseCode.Retry:
      return { kind: 'retry', allowedRetries };
    case ReleaseCode.DeadLettered:
      return { kind: 'dead-lettered', allowedRetries };
    default:
      throw unexpectedReply('releaseTask', reply, '{1}, {3, allowed} or {4, allowed}');
  }
}
