import type { TenantManager } from '../tenancy/manager.js';

/** What a request needs to know about its tenant. */
export type TenantState = 'active' | 'disabled' | 'missing';

export interface TenantCacheOptions {
  /**
   * How long a tenant's state is trusted without a change notice; 0 reads Redis on every
   * request. Change notices evict entries at once; the TTL only bounds how stale an entry can
   * get when a notice is lost (pub/sub delivers at most once, e.g. not across a reconnect).
   * @defaultValue 5000
   */
  ttlMs?: number;
  /** Entries kept at most; the oldest go first, so random ids cannot grow memory. @defaultValue 10000 */
  maxEntries?: number;
}

/**
 * Remembers whether tenants exist and are enabled, so that checking them costs a request no
 * Redis read, and forgets a tenant as soon as `TenantManager.onChange` announces it changed.
 * While notices cannot be subscribed to, nothing is cached: correctness over speed.
 */
export class TenantStateCache {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly entries = new Map<string, { state: TenantState; expiresAt: number }>();
  private readonly reads = new Map<string, Promise<TenantState>>();
  /** Bumped on every change notice: a read started before a change must not be cached. */
  private epoch = 0;
  private subscription: Promise<() => Promise<void>> | null = null;

  constructor(
    private readonly manager: TenantManager,
    options: TenantCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  async state(tenantId: string): Promise<TenantState> {
    const cached = this.entries.get(tenantId);
    if (cached && cached.expiresAt > Date.now()) return cached.state;
    let read = this.reads.get(tenantId);
    if (!read) {
      read = this.read(tenantId).finally(() => {
        if (this.reads.get(tenantId) === read) this.reads.delete(tenantId);
      });
      this.reads.set(tenantId, read);
    }
    return read;
  }

  /** Stops listening for change notices. */
  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    this.entries.clear();
    const unsubscribe = await subscription?.catch(() => null);
    await unsubscribe?.();
  }

  private async read(tenantId: string): Promise<TenantState> {
    // Without change notices an entry could stay stale for the whole TTL: read uncached then,
    // and try subscribing again on the next read.
    const cacheable = this.ttlMs > 0 && (await this.subscribe().then(() => true, () => false));
    const epoch = this.epoch;
    const tenant = await this.manager.getTenant(tenantId);
    const state: TenantState = !tenant ? 'missing' : tenant.enabled ? 'active' : 'disabled';
    if (cacheable && epoch === this.epoch) {
      this.entries.delete(tenantId);
      this.entries.set(tenantId, { state, expiresAt: Date.now() + this.ttlMs });
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return state;
  }

  /** Subscribes before the first read, so that no change between the read and the subscription is missed. */
  private subscribe(): Promise<unknown> {
    this.subscription ??= this.manager
      .onChange((tenantId) => {
        this.epoch += 1;
        this.entries.delete(tenantId);
        this.reads.delete(tenantId);
      })
      .catch((error: unknown) => {
        this.subscription = null;
        throw error;
      });
    return this.subscription;
  }
}
