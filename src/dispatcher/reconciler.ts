import type { RedisClient } from '../store/connection.js';
import { dispatcherScripts } from './scripts.js';
import { settledWithin } from '../core/deadline.js';
import { laneOf, SHARED_POOL, type KeyLayout } from '../core/keys.js';
import { windowForCapacity } from './window.js';
import { isCodeAlone, replyChoice, replyIntegers } from '../core/script-reply.js';
import { ScriptErrorCode } from '../core/script-errors.js';

export interface ReconcilerOptions {
  workerId: string;
  /** Queues this worker consumes, with its concurrency on each. */
  queues: readonly string[];
  /** The worker pool this worker runs: its concurrency counts towards that pool's lanes. */
  pool: string;
  concurrency: number;
  intervalMs: number;
  staleAfterMs: number;
  /** A fixed window, or null to derive it from the workers' concurrency. */
  window: number | null;
  windowFactor: number;
  minWindow: number;
}

/** What a pass repaired in one tenant: the reply of `reconcileTenant-1.lua`, by name. */
export interface TenantRepairs {
  promoted: number;
  leasesDropped: number;
  slotsDropped: number;
  deferredDropped: number;
  /** Waiting tasks fetched by a consumer that is not a Turbine worker (a plain BullMQ Worker). */
  strayFetches: number;
}

export interface ReconcilePassResult extends TenantRepairs {
  tenants: number;
}

/** Entries a pass checks per tenant and list. */
const CHECK_LIMIT = 200;
/**
 * Tenants whose passes are sent together. Redis runs a client's pipelined scripts back to back,
 * so a batch holds up everyone else's calls for its whole length: 25 passes (a few ms) keep a
 * quiet tenant's fetch from waiting behind the repairs of a thousand busy ones.
 */
const RECONCILE_BATCH = 25;
/**
 * Most active tenants repaired per pass: a pass's Redis time stays bounded (about 100-300 µs per
 * tenant) however many are active, and the next pass goes on where this one stopped.
 */
export const TENANTS_PER_PASS = 1000;

/**
 * Periodic repair of the active tenants (`activeTenants`), by one worker at a time (a lock with a TTL; another worker takes over when
 * the holder dies). A pass drops leases of dead workers (capacity comes back within the lock
 * duration plus one pass), drops bookkeeping of tasks removed behind Turbine's back, resets
 * `usage:concurrent` to the truth and promotes held tasks wherever there is room. Promotion on
 * release does not depend on it: this only repairs. Every worker also publishes its
 * concurrency, from which the leader sets each lane's dispatch window (a lane: a queue as one
 * worker pool sees it, see `laneOf`).
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  /** Where the walk over the active tenants goes on at the next pass ('0': from the start). */
  private cursor = '0';
  private passing: Promise<void> | null = null;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeyLayout,
    private readonly options: ReconcilerOptions,
    private readonly onPass: (result: ReconcilePassResult & { durationMs: number }) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.passing = this.tick()
        .catch((error: unknown) => this.onError(error as Error))
        .finally(() => {
          this.passing = null;
          if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /**
   * Stops the passes and gives up the lock. A pass under way is waited for at most
   * `waitMs`: with Redis away it would never end, and the lock expires by itself anyway.
   */
  async stop(waitMs: number): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!(await settledWithin(this.passing ?? undefined, waitMs))) return;
    await settledWithin(dispatcherScripts.releaseLock.run(this.client, [this.keys.reconcilerLock()], [this.options.workerId]), waitMs);
  }

  /** One round: publish capacity; if elected, set windows and reconcile every tenant. */
  async tick(): Promise<void> {
    await this.publishCapacity();
    if (!(await this.acquireLock())) return;
    const started = Date.now();
    await this.updateWindows();
    const result = await this.reconcileAll();
    this.onPass({ ...result, durationMs: Date.now() - started });
  }

  private async publishCapacity(): Promise<void> {
    const expiresAt = Date.now() + this.options.intervalMs * 3;
    const pipeline = this.client.pipeline();
    for (const queue of this.options.queues) {
      pipeline.hset(this.keys.capacity(laneOf(queue, this.options.pool)), this.options.workerId, `${this.options.concurrency}:${expiresAt}`);
      pipeline.sadd(this.keys.queues(), queue);
    }
    if (this.options.pool !== SHARED_POOL) pipeline.sadd(this.keys.pools(), this.options.pool);
    await pipeline.exec();
  }

  private async acquireLock(): Promise<boolean> {
    const ttl = this.options.intervalMs * 3;
    return decodeAcquireLock(await dispatcherScripts.acquireLock.run(this.client, [this.keys.reconcilerLock()], [this.options.workerId, ttl]));
  }

  private async updateWindows(): Promise<void> {
    const now = Date.now();
    const queues = await this.client.smembers(this.keys.queues());
    const pools = [SHARED_POOL, ...(await this.client.smembers(this.keys.pools()))];
    for (const lane of queues.flatMap((q) => pools.map((pool) => laneOf(q, pool)))) {
      const entries = await this.client.hgetall(this.keys.capacity(lane));
      let total = 0;
      const expired: string[] = [];
      for (const [worker, value] of Object.entries(entries)) {
        const [concurrency, expiresAt] = value.split(':').map(Number);
        if ((expiresAt ?? 0) < now) expired.push(worker);
        else total += concurrency ?? 0;
      }
      if (expired.length) await this.client.hdel(this.keys.capacity(lane), ...expired);
      // With no live worker on a lane the window does not matter; keep the last one.
      if (this.options.window === null && total === 0) continue;
      const window = this.options.window ?? windowForCapacity(total, this.options.windowFactor, this.options.minWindow);
      await this.client.hset(this.keys.dispatchWindow(), lane, window);
    }
  }

  /** One tenant's repairs (`reconcileTenant-1.lua`), or null when it was deleted meanwhile. */
  private async reconcileTenant(tenantId: string, now: number): Promise<TenantRepairs | null> {
    const reply = await dispatcherScripts.reconcileTenant.run(this.client, [this.keys.tenants()], [
      this.keys.prefix,
      tenantId,
      now,
      this.options.staleAfterMs,
      CHECK_LIMIT,
    ]);
    return decodeReconcileTenant(reply);
  }

  /**
   * The next active tenants to repair, at most about TENANTS_PER_PASS (SSCAN may return a few
   * more, or a tenant twice, which is harmless). Only tenants with work somewhere: a pass costs
   * the same with 100 or 100 000 idle tenants, and with many active ones a full round over
   * them takes ⌈active / TENANTS_PER_PASS⌉ passes.
   */
  private async nextActiveTenants(): Promise<string[]> {
    const tenants = new Set<string>();
    do {
      const [next, batch] = await this.client.sscan(this.keys.activeTenants(), this.cursor, 'COUNT', RECONCILE_BATCH);
      this.cursor = next;
      for (const tenantId of batch) tenants.add(tenantId);
    } while (this.cursor !== '0' && tenants.size < TENANTS_PER_PASS);
    return [...tenants];
  }

  private async reconcileAll(): Promise<ReconcilePassResult> {
    const tenants = await this.nextActiveTenants();
    const result: ReconcilePassResult = {
      tenants: tenants.length,
      promoted: 0,
      leasesDropped: 0,
      slotsDropped: 0,
      deferredDropped: 0,
      strayFetches: 0,
    };
    for (let i = 0; i < tenants.length; i += RECONCILE_BATCH) {
      const now = Date.now();
      // Sent back to back without waiting in between, so a batch costs about one round trip.
      const passes = await Promise.all(
        tenants.slice(i, i + RECONCILE_BATCH).map((tenantId) => this.reconcileTenant(tenantId, now)),
      );
      for (const pass of passes) {
        if (!pass) continue; // deleted meanwhile
        result.promoted += pass.promoted;
        result.leasesDropped += pass.leasesDropped;
        result.slotsDropped += pass.slotsDropped;
        result.deferredDropped += pass.deferredDropped;
        result.strayFetches += pass.strayFetches;
      }
    }
    return result;
  }
}

/** Decodes `acquireLock-1.lua`'s reply: 1 held (by the caller now), 0 held by another. */
export function decodeAcquireLock(reply: unknown): boolean {
  return replyChoice('acquireLock', reply, [0, 1], '1 (held) or 0 (held by another)') === 1;
}

/**
 * Decodes `reconcileTenant-1.lua`'s reply: the tenant's repairs, or null for
 * `{ScriptError.TenantNotFound}` (the tenant was deleted meanwhile).
 */
export function decodeReconcileTenant(reply: unknown): TenantRepairs | null {
  if (isCodeAlone(reply, ScriptErrorCode.TenantNotFound)) return null;
  const { promoted, leasesDropped, slotsDropped, deferredDropped, strayFetches } = replyIntegers('reconcileTenant', reply, [
    'promoted',
    'leasesDropped',
    'slotsDropped',
    'deferredDropped',
    'running',
    'strayFetches',
  ]);
  return { promoted, leasesDropped, slotsDropped, deferredDropped, strayFetches };
}
