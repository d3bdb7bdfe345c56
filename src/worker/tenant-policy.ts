import type { Redis } from 'ioredis';
import type { KeyLayout } from '../tenancy/keys.js';

/** What a worker needs to know of a tenant while running its task. */
export interface TenantPolicy {
  exists: boolean;
  maxResultSizeBytes: number | null;
}

interface Cached {
  policy: Promise<TenantPolicy>;
  expiresAt: number;
}

/**
 * Tenants' policies, read once and kept briefly: dropped on every change notice (so a change
 * applies within milliseconds) and after `ttlMs` anyway (should a notice be missed during a
 * reconnection). Saves a round trip per task on the path every task takes.
 */
export class TenantPolicyCache {
  private readonly cache = new Map<string, Cached>();
  private subscriber: Redis | null = null;

  constructor(
    private readonly client: Redis,
    private readonly keys: KeyLayout,
    private readonly ttlMs = 1000,
  ) {}

  get(tenantId: string): Promise<TenantPolicy> {
    const now = Date.now();
    const hit = this.cache.get(tenantId);
    if (hit && hit.expiresAt > now) return hit.policy;
    const policy = this.client.hmget(this.keys.tenant(tenantId), 'tenant_id', 'max_result_size_bytes').then(
      ([id, maxResult]) => ({ exists: id !== null, maxResultSizeBytes: maxResult === null ? null : Number(maxResult) }),
    );
    this.cache.set(tenantId, { policy, expiresAt: now + this.ttlMs });
    policy.catch(() => this.cache.delete(tenantId));
    return policy;
  }

  /** Listens for change notices (on a connection of its own, as subscribing requires). */
  async listen(): Promise<void> {
    const subscriber = this.client.duplicate();
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, tenantId: string) => this.cache.delete(tenantId));
    // A notice missed while reconnecting is covered by the TTL; start clean after a reconnection.
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
