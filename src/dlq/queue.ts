import type { RedisClient } from '../store/connection.js';
import { admitTasks, type AdmissionRequest } from '../dispatcher/admission.js';
import { InvalidArgumentError, TurbineError } from '../core/errors.js';
import { RedisClientHolder, type RedisClientOptions } from '../store/holder.js';
import { purgeDeadLettersScript } from './scripts.js';
import { KeyLayout, parseTaskRef } from '../core/keys.js';
import { assertQueueName, assertTenantId, isValidQueueName } from '../tenancy/validation.js';
import { parseDeadLetterEntry, type DeadLetterEntry } from './entry.js';
import { DeadLetterNotFoundError } from './errors.js';
import { replayRequest, type ReplayOutcome, type ReplayedTask } from './replay.js';
import { countIds, pageIds, type IndexSelection } from './scan.js';

export type DeadLetterQueueOptions = RedisClientOptions;

export interface DeadLetterFilter {
  tenantId?: string;
  queue?: string;
}

export interface ListDeadLettersOptions extends DeadLetterFilter {
  /** @defaultValue 50 */
  limit?: number;
  /** Matching entries to skip, newest first. @defaultValue 0 */
  offset?: number;
}

export interface PurgeDeadLettersOptions extends DeadLetterFilter {
  /** Only entries dead-lettered at least this long ago. @defaultValue every entry */
  olderThanMs?: number;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;
/** Entries per purge script call: bounded so that one call never stalls Redis. */
const PURGE_BATCH = 500;
/** Entries admitted per round trip by `replayAll`. */
const REPLAY_PAGE = 500;

/**
 * The dead-letter queue: tasks the worker gave up on, with their arguments, attempts, last
 * error and reason. Read them, resubmit them through admission (so the tenant's quotas and
 * state apply as for any submission), or purge them.
 */
export class DeadLetterQueue {
  readonly keys: KeyLayout;
  private readonly redis: RedisClientHolder;

  constructor(options: DeadLetterQueueOptions = {}) {
    this.redis = new RedisClientHolder(options);
    this.keys = new KeyLayout(this.redis.prefix);
  }

  /** Entries newest first, optionally of one tenant and/or queue. */
  async list(options: ListDeadLettersOptions = {}): Promise<DeadLetterEntry[]> {
    const limit = checkCount('limit', options.limit ?? DEFAULT_LIMIT, 1, MAX_LIMIT);
    const offset = checkCount('offset', options.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const client = await this.client();
    const ids = await pageIds(client, this.selection(options), offset, limit);
    return (await this.read(client, ids)).filter((e): e is DeadLetterEntry => e !== null);
  }

  async count(filter: DeadLetterFilter & { olderThanMs?: number } = {}): Promise<number> {
    return countIds(await this.client(), this.selection(filter, filter.olderThanMs));
  }

  /** One entry by its id (`<queue>:<taskId>`), or null. */
  async get(entryId: string): Promise<DeadLetterEntry | null> {
    const [entry] = await this.read(await this.client(), [assertEntryId(entryId)]);
    return entry ?? null;
  }

  /**
   * Resubmits an entry's task through admission and removes the entry. A refusal (quota,
   * disabled or deleted tenant, …) throws the admission error and keeps the entry. Replaying
   * an entry twice never runs its task twice: the second time admission answers `duplicate`.
   */
  async replay(entryId: string): Promise<ReplayedTask> {
    const client = await this.client();
    const [entry] = await this.read(client, [assertEntryId(entryId)]);
    if (!entry) throw new DeadLetterNotFoundError(entryId);
    const [outcome] = await this.resubmit(client, [entry]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!;
  }

  /**
   * Replays every entry of a tenant (optionally of one queue) that was in the dead-letter
   * queue when the call started, oldest first, and says for each what happened. Tasks that
   * fail again while this runs are not picked up a second time.
   */
  async replayAll(filter: { tenantId: string; queue?: string }): Promise<ReplayOutcome[]> {
    // Without a tenant the selection would be the whole DLQ: refuse rather than replay everything.
    const selection = this.selection({ tenantId: assertTenantId(filter?.tenantId), queue: filter.queue });
    const client = await this.client();
    const until = String(Date.now());
    const outcomes: ReplayOutcome[] = [];
    // Replayed entries leave the index; refused ones stay, so the next page starts after them.
    for (let offset = 0; ; ) {
      const ids = await client.zrangebyscore(selection.index, '-inf', until, 'LIMIT', offset, REPLAY_PAGE);
      if (ids.length === 0) return outcomes;
      const wanted = filter.queue === undefined ? ids : ids.filter((id) => id.startsWith(`${filter.queue}:`));
      const entries = (await this.read(client, wanted)).filter((e): e is DeadLetterEntry => e !== null);
      const page = await this.resubmit(client, entries);
      outcomes.push(...page);
      offset += ids.length - page.filter((o) => o.ok).length;
    }
  }

  /** Removes entries (all, or of a tenant / queue / older than a cutoff); returns how many. */
  async purge(options: PurgeDeadLettersOptions = {}): Promise<number> {
    const selection = this.selection(options, options.olderThanMs);
    const client = await this.client();
    let removed = 0;
    for (let offset = 0; ; ) {
      const [unindexed, scanned, deleted] = (await purgeDeadLettersScript.run(client, [this.keys.tenants()], [
        this.keys.prefix,
        selection.maxScore,
        options.tenantId ?? '',
        options.queue ?? '',
        PURGE_BATCH,
        offset,
      ])) as [number, number, number];
      if (scanned === 0) return removed;
      removed += deleted;
      offset += scanned - unindexed;
    }
  }


  /** Removes one entry without replaying it (a poison task); false when there was none. */
  async remove(entryId: string): Promise<boolean> {
    const client = await this.client();
    const [entry] = await this.read(client, [assertEntryId(entryId)]);
    if (!entry) return false;
    await this.removeEntries(client, [entry]);
    return true;
  }

  async close(): Promise<void> {
    await this.redis.close();
  }

  private client(): Promise<RedisClient> {
    return this.redis.get();
  }

  private selection(filter: DeadLetterFilter, olderThanMs?: number): IndexSelection {
    const tenantId = filter.tenantId === undefined ? undefined : assertTenantId(filter.tenantId);
    const queue = filter.queue === undefined ? undefined : assertQueueName(filter.queue);
    if (olderThanMs !== undefined) checkCount('olderThanMs', olderThanMs, 0, Number.MAX_SAFE_INTEGER);
    return {
      index: tenantId === undefined ? this.keys.dlq() : this.keys.dlqByTenant(tenantId),
      queue,
      maxScore: olderThanMs === undefined ? '+inf' : String(Date.now() - olderThanMs),
    };
  }

  private async read(client: RedisClient, ids: readonly string[]): Promise<(DeadLetterEntry | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.dlqEntry(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, hash]) => {
      if (error) throw error;
      return parseDeadLetterEntry(hash as Record<string, string>);
    });
  }

  /** Admits the entries' tasks in one round trip; removes the entries that were admitted. */
  private async resubmit(client: RedisClient, entries: readonly DeadLetterEntry[]): Promise<ReplayOutcome[]> {
    const outcomes: ReplayOutcome[] = [];
    const requests: { at: number; request: AdmissionRequest }[] = [];
    entries.forEach((entry, at) => {
      try {
        requests.push({ at, request: replayRequest(entry) });
      } catch (error) {
        if (!(error instanceof TurbineError)) throw error;
        outcomes[at] = { ok: false, entryId: entry.entryId, error };
      }
    });
    const admitted = await admitTasks(client, this.keys, requests.map((r) => r.request));
    admitted.forEach((outcome, i) => {
      const { at, request } = requests[i]!;
      const entryId = entries[at]!.entryId;
      outcomes[at] = outcome.ok
        ? { ok: true, entryId, tenantId: request.tenantId, queue: request.queue, task: request.taskName, taskId: outcome.taskId, placement: outcome.placement }
        : { ok: false, entryId, error: outcome.error };
    });
    await this.removeEntries(client, entries.filter((_, at) => outcomes[at]!.ok));
    return outcomes;
  }

  private async removeEntries(client: RedisClient, entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const multi = client.multi();
    for (const entry of entries) {
      multi.del(this.keys.dlqEntry(entry.entryId)).zrem(this.keys.dlq(), entry.entryId);
      if (entry.tenantId) multi.zrem(this.keys.dlqByTenant(entry.tenantId), entry.entryId);
    }
    await multi.exec();
  }
}

/** Entry ids are `<queue>:<taskId>`: a malformed one is bad input, not a missing entry. */
function assertEntryId(entryId: unknown): string {
  const { queue, jobId } = typeof entryId === 'string' ? parseTaskRef(entryId) : { queue: '', jobId: '' };
  if (typeof entryId !== 'string' || !entryId.includes(':') || !isValidQueueName(queue) || jobId === '') {
    throw new InvalidArgumentError(
      `Invalid dead-letter entry id ${JSON.stringify(entryId)}: expected <queue>:<task id>, as 'turbine dlq list' shows`,
    );
  }
  return entryId;
}

function checkCount(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`Invalid ${name} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}`);
  }
  return value;
}
