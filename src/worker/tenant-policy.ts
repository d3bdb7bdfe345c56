import { duplicateClient, type RedisClient } from '../store/connection.js';
import type { KeyLayout } from '../core/keys.js';
import { WriteBatch } from '../store/write-batch.js';

/** What a worker needs to know of a tenant while running its task. */
export interface TenantPolicy {
  exists: boolean;
  maxResultSizeBytes: number | null;
}

interface Cached {
  policy: Promise<TenantPolicy>;
  /** Set once read, so that `peek` answers without awaiting. */
  value: TenantPolicy | null;
  expiresAt: number;
}

/**
 * Tenants' policies, read once and kept: dropped on every change notice (so a change applies
 * within milliseconds), all of them whenever the notices' connection closes or opens again (a
 * notice is only lost across a reconnection), and after `ttlMs` anyway. Saves a round trip per
 * task on the path every task takes: with thousands of busy tenants, a tenant's tasks come
 * seconds apart, so a short expiry would read most tenants again for each task. At most
 * `maxEntries` are kept, the oldest read dropped first.
 */
export class TenantPolicyCache {
  private readonly cache = new Map<string, Cached>();
  private subscriber: RedisClient | null = null;
  /** With thousands of tenants, the first tasks of several come in one reply: their reads share writes. */
  private readonly reads: WriteBatch;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeyLayout,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 50_000,
  ) {
    this.reads = new WriteBatch(client);
  }

  /** The policy if it is cached and fresh, without awaiting anything. */
  peek(tenantId: string): TenantPolicy | undefined {
    const hit = this.cache.get(tenantId);
    return hit && hit.expiresAt > Date.now() ? (hit.value ?? undefined) : undefined;
  }

  get(tenantId: string): Promise<TenantPolicy> {
    const now = Date.now();
    const hit = this.cache.get(tenantId);
    if (hit && hit.expiresAt > now) return hit.policy;
    const entry: Cached = { policy: Promise.resolve({ exists: false, maxResultSizeBytes: null }), value: null, expiresAt: now + this.ttlMs };
    this.reads.hold();
    entry.policy = this.client.hmget(this.keys.tenant(tenantId), 'tenant_id', 'max_result_size_bytes').then(([id, maxResult]) => {
      entry.value = { exists: id !== null, maxResultSizeBytes: maxResult === null ? null : Number(maxResult) };
      return entry.value;
    });
    // Deleted first, so that the entry goes to the end of the map's order (the newest).
    this.cache.delete(tenantId);
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(tenantId, entry);
    entry.policy.catch(() => this.cache.delete(tenantId));
    return entry.policy;
  }

  /** Whether the tenant existed at some time: deleting a tenant keeps its audit trail. */
  async existedOnce(tenantId: string): Promise<boolean> {
    return (await this.client.exists(this.keys.audit(tenantId))) === 1;
  }

  /** Listens for change notices (on a connection of its own, as subscribing requires). */
  async listen(): Promise<void> {
    const subscriber = duplicateClient(this.client, 'worker');
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, tenantId: string) => this.cache.delete(tenantId));
    // Notices sent while the connection is down are lost: forget everything when it goes down
    // (what is read meanwhile may miss a change too) and again once it is back.
    subscriber.on('close', () => this.cache.clear());
    subscriber.on('ready', () => this.cache.clear());
    this.subscriber = subscriber;
    await subscriber.subscribe(this.keys.changesChannel());
  }

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = null;
    this.cache.clear();
  }
}
