import type { RedisClient } from '../store/connection.js';
import { dispatcherScripts } from './scripts.js';
import type { KeyLayout } from '../core/keys.js';

/** Why a task went to the dead-letter queue. */
export type DeadLetterReason =
  | 'retries_exhausted'
  | 'timeout'
  | 'result_too_large'
  | 'unknown_task'
  | 'undecodable_payload'
  | 'non_error_thrown'
  | 'tenant_deleted'
  | 'stalled';

export type ReleaseInput =
  | { outcome: 'failed'; attemptsMade: number; retries: number; reason: DeadLetterReason; error: { message: string; stack: string } }
  | { outcome: 'dead'; attemptsMade: number; reason: DeadLetterReason; error: { message: string; stack: string } }
  | { outcome: 'requeued' };

export type ReleaseDecision =
  | { kind: 'requeued' }
  | { kind: 'retry'; allowedRetries: number }
  | { kind: 'dead-lettered'; allowedRetries: number };

/** A task a worker is running, as the slot scripts name it. */
export interface SlotRef {
  tenantId: string;
  queue: string;
  jobId: string;
}

/**
 * The worker's side of slot accounting beyond fetch and finish (which Turbine's moveToActive and
 * moveToFinished do): release a run that failed (deciding retry or dead-letter with the
 * tenant's policy as it is then) or was put back, and renew leases with the lock.
 */
export class SlotClient {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeyLayout,
    private readonly leaseMs: number,
  ) {}

  /**
   * `tenantId` is '' when the task's payload could not be read; `token` is the run's lock token
   * ('' when there is no run, e.g. a task dead-lettered before it started).
   */
  async release(ref: SlotRef, input: ReleaseInput, token = ''): Promise<ReleaseDecision> {
    const error = 'error' in input && input.error ? input.error : { message: '', stack: '' };
    const reply = (await dispatcherScripts.releaseTask.run(this.client, [this.keys.tenants()], [
      this.keys.prefix,
      ref.tenantId,
      ref.queue,
      ref.jobId,
      Date.now(),
      input.outcome,
      'attemptsMade' in input ? input.attemptsMade : 0,
      input.outcome === 'failed' ? input.retries : 0,
      'reason' in input ? input.reason : '',
      error.message,
      error.stack,
      token,
    ])) as number[];
    switch (reply[0]) {
      case 1:
        return { kind: 'requeued' };
      case 3:
        return { kind: 'retry', allowedRetries: Number(reply[1]) };
      default:
        return { kind: 'dead-lettered', allowedRetries: Number(reply[1]) };
    }
  }

  async renew(refs: readonly SlotRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    const args: (string | number)[] = [this.keys.prefix, Date.now() + this.leaseMs];
    for (const ref of refs) args.push(ref.tenantId, ref.queue, ref.jobId);
    return Number(await dispatcherScripts.renewLeases.run(this.client, [this.keys.tenants()], args));
  }
}
