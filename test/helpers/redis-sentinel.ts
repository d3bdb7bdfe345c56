import type { Redis } from 'ioredis';
import { REPLICATED_WRITES, RedisServer, askServer as ask } from './redis-server.js';

export const MASTER_NAME = 'turbine-primary';

/**
 * Redis Sentinel of a test's own: a primary, a replica and three sentinels (quorum 2). Both
 * servers refuse writes unless a replica is connected (`min-replicas-to-write 1`), so that a
 * write a client saw acknowledged is on the replica too, whichever one a failover promotes.
 */
export class RedisSentinelSet {
  private constructor(
    readonly servers: RedisServer[],
    readonly sentinels: RedisServer[],
  ) {}

  static async start(): Promise<RedisSentinelSet> {
    const primary = await RedisServer.start(REPLICATED_WRITES);
    const started: RedisServer[] = [primary];
    try {
      started.push(await RedisServer.start([...REPLICATED_WRITES, '--replicaof', '127.0.0.1', String(primary.port)]));
      for (let i = 0; i < 3; i++) {
        started.push(
          await RedisServer.startSentinel([
            `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary.port} 2`,
            `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
            `sentinel failover-timeout ${MASTER_NAME} 10000`,
          ]),
        );
      }
      const set = new RedisSentinelSet(started.slice(0, 2), started.slice(2));
      await set.waitUntilReady();
      return set;
    } catch (error) {
      await Promise.all(started.map((server) => server.close()));
      throw error;
    }
  }

  /** The URL Turbine takes: every sentinel, and the master's name. */
  get url(): string {
    return `redis+sentinel://${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${MASTER_NAME}`;
  }

  /** The server that the sentinels name as primary now. */
  async primary(): Promise<RedisServer> {
    const [, port] = (await this.askSentinel((c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME))) as [string, string];
    const server = this.servers.find((s) => s.port === Number(port));
    if (!server) throw new Error(`the sentinels name an unknown primary on port ${port}`);
    return server;
  }

  /**
   * Asks a sentinel to fail over (`SENTINEL FAILOVER`) and waits until the other server is the
   * primary, takes writes, and has the old primary as its replica again.
   */
  async failover(timeoutMs = 30_000): Promise<{ from: RedisServer; to: RedisServer }> {
    const from = await this.primary();
    const to = this.servers.find((s) => s !== from)!;
    await this.askSentinel((c) => c.call('SENTINEL', 'FAILOVER', MASTER_NAME));
    await this.until(timeoutMs, `a failover from ${from.port} to ${to.port}`, async () => {
      if ((await this.primary()) !== to) return false;
      return this.replicating(to);
    });
    return { from, to };
  }

  async close(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.servers].map((server) => server.close()));
  }

  /** Every sentinel knows the replica and the two other sentinels, so that a failover can be agreed on. */
  private async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    await this.until(timeoutMs, 'the sentinels to know each other and the replica', async () => {
      for (const sentinel of this.sentinels) {
        const replicas = (await ask(sentinel, (c) => c.call('SENTINEL', 'REPLICAS', MASTER_NAME))) as unknown[];
        const peers = (await ask(sentinel, (c) => c.call('SENTINEL', 'SENTINELS', MASTER_NAME))) as unknown[];
        if (replicas.length < 1 || peers.length < 2) return false;
      }
      return this.replicating(this.servers[0]!);
    });
  }

  /** True when `primary` is a primary with a replica whose link is up (so it takes writes). */
  private async replicating(primary: RedisServer): Promise<boolean> {
    const info = String(await ask(primary, (c) => c.info('replication')).catch(() => ''));
    return info.includes('role:master') && /connected_slaves:[1-9]/.test(info) && /state=online/.test(info);
  }

  private async askSentinel<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const sentinel of this.sentinels.filter((s) => s.running)) {
      try {
        return await ask(sentinel, command);
      } catch (error) {
        last = error;
      }
    }
    throw last ?? new Error('no sentinel running');
  }

  private async until(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
