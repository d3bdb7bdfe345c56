import type { RedisClient } from '../store/connection.js';
import type { AdmissionRequest } from '../dispatcher/admission.js';
import { admitRouted } from '../dispatcher/routed-admission.js';
import type { ShardRouter } from '../store/shards.js';
import { InvalidArgumentError, TurbineError } from '../core/errors.js';
import { RedisClientHolder, type RedisClientOptions } from '../store/holder.js';
import { assertIntegerInRange } from '../core/integers.js';
import { decodePurgeDeadLetters, purgeDeadLettersScript } from './scripts.js';
import { parseTaskRef, type KeyLayout } from '../core/keys.js';
import { assertQueueName, assertTenantId, isValidQueueName } from '../tenancy/validation.js';
import { parseDeadLetterEntry, type DeadLetterEntry } from './entry.js';
import { DeadLetterNotFoundError, DeadLetterNotReplayableError } from './errors.js';
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

/**
 * For the calls that take an entry id: the tenant the caller acts for. An entry of another
 * tenant is then answered exactly like a missing one.
 */
export interface EntryAccess {
  tenantId?: string;
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
  /** The keys of shard 0 (with one shard, the only one). */
  readonly keys: KeyLayout;
  /**
   * Every shard has a dead-letter queue of its own, where its tenants' tasks are dead-lettered
   * (a tenant moved since keeps its earlier entries on its former shard): reads fan out.
   */
  private readonly shards: ShardRouter;
  private readonly redis: RedisClientHolder;

  constructor(options: DeadLetterQueueOptions = {}) {
    this.redis = new RedisClientHolder(options);
    this.shards = this.redis.router();
    this.keys = this.shards.layout(0);
  }

  /** Entries newest first, optionally of one tenant and/or queue. */
  async list(options: ListDeadLettersOptions = {}): Promise<DeadLetterEntry[]> {
    const limit = assertIntegerInRange('limit', options.limit ?? DEFAULT_LIMIT, 1, MAX_LIMIT);
    const offset = assertIntegerInRange('offset', options.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const client = await this.client();
    // Each shard's newest offset + limit entries hold the page of the merged, newest-first list.
    const perShard = await Promise.all(
      this.shards.shards.map(async (keys) => {
        const selection = this.selection(keys, options);
        const ids = await pageIds(client, selection, this.shards.count === 1 ? offset : 0, this.shards.count === 1 ? limit : offset + limit);
        return (await this.read(client, keys, ids)).filter((e): e is DeadLetterEntry => e !== null && ownedBy(e, selection.tenantId));
      }),
    );
    if (this.shards.count === 1) return perShard[0]!;
    return perShard
      .flat()
      .sort((a, b) => b.deadAt.getTime() - a.deadAt.getTime())
      .slice(offset, offset + limit);
  }

  async count(filter: DeadLetterFilter & { olderThanMs?: number } = {}): Promise<number> {
    const client = await this.client();
    const counts = await Promise.all(this.shards.shards.map((keys) => countIds(client, this.selection(keys, filter, filter.olderThanMs))));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** One entry by its id (`<queue>:<job id>`), or null (also for another tenant's, with `tenantId`). */
  async get(entryId: string, access: EntryAccess = {}): Promise<DeadLetterEntry | null> {
    return (await this.readOne(await this.client(), entryId, access))?.entry ?? null;
  }

  /**
   * Resubmits an entry's task through admission and removes the entry. A refusal (quota,
   * disabled or deleted tenant, …) throws the admission error and keeps the entry. Replaying
   * an entry twice never runs its task twice: the second time admission answers `duplicate`.
   * With `tenantId`, another tenant's entry is answered as not found.
   */
  async replay(entryId: string, access: EntryAccess = {}): Promise<ReplayedTask> {
    const client = await this.client();
    const found = await this.readOne(client, entryId, access);
    if (!found) throw new DeadLetterNotFoundError(entryId);
    const [outcome] = await this.resubmit(client, found.keys, [found.entry]);
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
    const tenantId = assertTenantId(filter?.tenantId);
    const client = await this.client();
    const until = String(Date.now());
    const outcomes: ReplayOutcome[] = [];
    for (const keys of this.shards.shards) {
      const selection = this.selection(keys, { tenantId, queue: filter.queue });
      // Replayed entries leave the index; refused ones stay, so the next page starts after them.
      for (let offset = 0; ; ) {
        const ids = await client.zrangebyscore(selection.index, '-inf', until, 'LIMIT', offset, REPLAY_PAGE);
        if (ids.length === 0) break;
        const wanted = filter.queue === undefined ? ids : ids.filter((id) => id.startsWith(`${filter.queue}:`));
        const entries = (await this.read(client, keys, wanted)).filter(
          (e): e is DeadLetterEntry => e !== null && ownedBy(e, selection.tenantId),
        );
        const page = await this.resubmit(client, keys, entries);
        outcomes.push(...page);
        offset += ids.length - page.filter((o) => o.ok).length;
      }
    }
    return outcomes;
  }

  /** Removes entries (all, or of a tenant / queue / older than a cutoff); returns how many. */
  async purge(options: PurgeDeadLettersOptions = {}): Promise<number> {
    const client = await this.client();
    let removed = 0;
    for (const keys of this.shards.shards) {
      const selection = this.selection(keys, options, options.olderThanMs);
      for (let offset = 0; ; ) {
        const reply = await purgeDeadLettersScript.run(client, [keys.tenants()], [
          keys.prefix,
          selection.maxScore,
          options.tenantId ?? '',
          options.queue ?? '',
          PURGE_BATCH,
          offset,
        ]);
        const { unindexed, scanned, deleted } = decodePurgeDeadLetters(reply);
        if (scanned === 0) break;
        removed += deleted;
        offset += scanned - unindexed;
      }
    }
    return removed;
  }

  /** Removes one entry without replaying it (a poison task); false when there was none (of `tenantId`). */
  async remove(entryId: string, access: EntryAccess = {}): Promise<boolean> {
    const client = await this.client();
    const found = await this.readOne(client, entryId, access);
    if (!found) return false;
    await this.removeEntries(client, found.keys, [found.entry]);
    return true;
  }

  async close(): Promise<void> {
    await this.redis.close();
  }

  private client(): Promise<RedisClient> {
    return this.redis.get();
  }

  /** The entry and the shard it is on (the first shard that has it, in shard order). */
  private async readOne(
    client: RedisClient,
    entryId: string,
    access: EntryAccess,
  ): Promise<{ entry: DeadLetterEntry; keys: KeyLayout } | null> {
    const tenantId = access?.tenantId === undefined ? undefined : assertTenantId(access.tenantId);
    const id = assertEntryId(entryId);
    for (const keys of this.shards.shards) {
      const [entry] = await this.read(client, keys, [id]);
      if (entry && ownedBy(entry, tenantId)) return { entry, keys };
    }
    return null;
  }

  private selection(keys: KeyLayout, filter: DeadLetterFilter, olderThanMs?: number): IndexSelection & { tenantId?: string } {
    const tenantId = filter.tenantId === undefined ? undefined : assertTenantId(filter.tenantId);
    const queue = filter.queue === undefined ? undefined : assertQueueName(filter.queue);
    if (olderThanMs !== undefined) assertIntegerInRange('olderThanMs', olderThanMs, 0, Number.MAX_SAFE_INTEGER);
    return {
      tenantId,
      index: tenantId === undefined ? keys.dlq() : keys.dlqByTenant(tenantId),
      queue,
      maxScore: olderThanMs === undefined ? '+inf' : String(Date.now() - olderThanMs),
    };
  }

  private async read(client: RedisClient, keys: KeyLayout, ids: readonly string[]): Promise<(DeadLetterEntry | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.hgetall(keys.dlqEntry(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, hash]) => {
      if (error) throw error;
      return parseDeadLetterEntry(hash as Record<string, string>);
    });
  }

  /**
   * Admits the entries' tasks (of the shard of `keys`) on their tenants' shards now; removes the
   * entries that were admitted.
   */
  private async resubmit(client: RedisClient, keys: KeyLayout, entries: readonly DeadLetterEntry[]): Promise<ReplayOutcome[]> {
    const outcomes: ReplayOutcome[] = [];
    const requests: { at: number; request: AdmissionRequest }[] = [];
    const retried = await this.retriedByHand(client, keys, entries);
    entries.forEach((entry, at) => {
      try {
        if (retried[at]) {
          throw new DeadLetterNotReplayableError(
            entry.entryId,
            'its job was retried by hand and is queued or running again; the entry goes away when that run starts',
          );
        }
        requests.push({ at, request: replayRequest(entry) });
      } catch (error) {
        if (!(error instanceof TurbineError)) throw error;
        outcomes[at] = { ok: false, entryId: entry.entryId, error };
      }
    });
    const admitted = await admitRouted(client, this.shards, requests.map((r) => r.request), undefined);
    admitted.forEach((outcome, i) => {
      const { at, request } = requests[i]!;
      const entryId = entries[at]!.entryId;
      outcomes[at] = outcome.ok
        ? { ok: true, entryId, tenantId: request.tenantId, queue: request.queue, task: request.taskName, taskId: outcome.taskId, placement: outcome.placement }
        : { ok: false, entryId, error: outcome.error };
    });
    await this.removeEntries(client, keys, entries.filter((_, at) => outcomes[at]!.ok));
    return outcomes;
  }

  /**
   * Which entries' jobs were retried by hand (BullMQ's Job.retry, or from a UI) and wait to run
   * again: replaying one would run its task twice. Such a job exists, is not failed and holds no
   * lock; a job still locked is the run that was just dead-lettered, before BullMQ fails it.
   */
  private async retriedByHand(client: RedisClient, keys: KeyLayout, entries: readonly DeadLetterEntry[]): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const pipeline = client.pipeline();
    for (const entry of entries) {
      const queue = `${keys.bullPrefix()}:${entry.queue}`;
      pipeline
        .hget(`${queue}:${entry.jobId}`, 'timestamp')
        .zscore(`${queue}:failed`, entry.jobId)
        .exists(`${queue}:${entry.jobId}:lock`);
    }
    const replies = (await pipeline.exec()) ?? [];
    return entries.map((_, i) => {
      const [stamp, failed, locked] = replies.slice(i * 3, i * 3 + 3).map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      return stamp != null && failed == null && locked === 0;
    });
  }

  private async removeEntries(client: RedisClient, keys: KeyLayout, entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const multi = client.multi();
    for (const entry of entries) {
      multi.del(keys.dlqEntry(entry.entryId)).zrem(keys.dlq(), entry.entryId);
      if (entry.tenantId) multi.zrem(keys.dlqByTenant(entry.tenantId), entry.entryId);
    }
    await multi.exec();
  }
}

/** Every entry when no tenant is given, else only that tenant's. */
function ownedBy(entry: DeadLetterEntry, tenantId: string | undefined): boolean {
  return tenantId === undefined || entry.tenantId === tenantId;
}

/** Entry ids are `<queue>:<job id>`: a malformed one is bad input, not a missing entry. */
function assertEntryId(entryId: unknown): string {
  const { queue, jobId } = typeof entryId === 'string' ? parseTaskRef(entryId) : { queue: '', jobId: '' };
  if (typeof entryId !== 'string' || !entryId.includes(':') || !isValidQueueName(queue) || jobId === '') {
    throw new InvalidArgumentError(
      `Invalid dead-letter entry id ${JSON.stringify(entryId)}: expected <queue>:<job id>, as 'turbine dlq list' shows`,
    );
  }
  return entryId;
}
