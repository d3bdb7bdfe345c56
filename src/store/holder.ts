import { DEFAULT_PREFIX } from '../core/keys.js';
import { assertPrefixFits } from './cluster.js';
import { ShardRouter, resolveShardCount, shardPrefixes } from './shards.js';
import {
  connectClient,
  createClient,
  redactUrl,
  resolveBackendUrl,
  type ConnectionProfile,
  type RedisClient,
} from './connection.js';

export interface RedisClientOptions {
  /**
   * Redis URL: `redis://` or `rediss://` for one server, `redis+sentinel://…/<master-name>` for
   * Sentinel, `redis+cluster://host:port,…` for Redis Cluster (with `s` for TLS), with user,
   * password and db if any. @defaultValue `TURBINE_BACKEND_URL`, else `redis://localhost:6379`
   */
  backendUrl?: string;
  /** Prefix of every Turbine key; must hold a hash tag (`{turbine}`) on Redis Cluster. @defaultValue `turbine` */
  prefix?: string;
  /**
   * An existing ioredis `Redis` (standalone or Sentinel) or `Cluster` to use instead of a URL;
   * it is left open by `close()`. Other connections (subscribers, queue events) are its duplicates.
   */
  connection?: RedisClient;
  /**
   * Shards to spread tenants over (`{turbine-0}` … `{turbine-N-1}`), the same for every worker,
   * producer and CLI of a deployment; 1 keeps every key under the prefix itself.
   * @defaultValue `TURBINE_SHARDS`, else 1
   */
  shards?: number;
}

/**
 * The one connection configuration of an SDK object: connects on first use (so constructors
 * stay synchronous), derives every other client from it, and closes only what it opened.
 */
export class RedisClientHolder {
  readonly backendUrl: string;
  readonly prefix: string;
  readonly shardCount: number;
  private pending: Promise<RedisClient> | null = null;
  private readonly shared: RedisClient | undefined;

  constructor(
    options: RedisClientOptions,
    private readonly profile: ConnectionProfile = 'command',
  ) {
    this.shared = options.connection;
    this.backendUrl = resolveBackendUrl(options.backendUrl);
    this.prefix = options.prefix ?? process.env.TURBINE_PREFIX ?? DEFAULT_PREFIX;
    this.shardCount = resolveShardCount(options.shards);
    // A malformed URL or an unfit prefix is refused here, when the object is made, not on its first command.
    assertPrefixFits(this.source, shardPrefixes(this.prefix, this.shardCount)[0]!);
  }

  /** A router of tenants to this configuration's shards. */
  router(options: { cached?: boolean } = {}): ShardRouter {
    return new ShardRouter(this.prefix, this.shardCount, options.cached ?? true);
  }

  /** The backend for messages: the URL, password redacted, or the connection passed in. */
  get description(): string {
    return this.shared ? 'the connection passed in' : redactUrl(this.backendUrl);
  }

  get(): Promise<RedisClient> {
    if (this.shared) return Promise.resolve(this.shared);
    this.pending ??= connectClient(createClient(this.backendUrl, this.profile), this.description).catch((error: unknown) => {
      this.pending = null;
      throw error;
    });
    return this.pending;
  }

  /** The configured connection as given: the client passed in, else the URL. */
  get source(): string | RedisClient {
    return this.shared ?? this.backendUrl;
  }

  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    const client = await pending.catch(() => null);
    if (client) await client.quit().catch(() => client.disconnect());
  }
}
