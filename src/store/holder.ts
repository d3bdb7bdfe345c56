import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX } from '../core/keys.js';
import { connectRedis, resolveBackendUrl, type ConnectionProfile } from './connection.js';

export interface RedisClientOptions {
  /** Redis URL (`redis://`, `rediss://`, with password and db). @defaultValue `TURBINE_BACKEND_URL`, else `redis://localhost:6379` */
  backendUrl?: string;
  /** Prefix of every Turbine key; use a hash tag (`{turbine}`) on Redis Cluster. @defaultValue `turbine` */
  prefix?: string;
  /** An existing client to use instead of connecting; it is left open by `close()`. */
  connection?: Redis;
}

/** Connects on first use (so constructors stay synchronous) and closes only what it opened. */
export class RedisClientHolder {
  readonly backendUrl: string;
  readonly prefix: string;
  private pending: Promise<Redis> | null = null;
  private readonly shared: Redis | undefined;

  constructor(
    options: RedisClientOptions,
    private readonly profile: ConnectionProfile = 'command',
  ) {
    this.backendUrl = resolveBackendUrl(options.backendUrl);
    this.prefix = options.prefix ?? process.env.TURBINE_PREFIX ?? DEFAULT_PREFIX;
    this.shared = options.connection;
  }

  get(): Promise<Redis> {
    if (this.shared) return Promise.resolve(this.shared);
    this.pending ??= connectRedis(this.backendUrl, this.profile).catch((error: unknown) => {
      this.pending = null;
      throw error;
    });
    return this.pending;
  }

  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    const client = await pending.catch(() => null);
    if (client) await client.quit().catch(() => client.disconnect());
  }
}
