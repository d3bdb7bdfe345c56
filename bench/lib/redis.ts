import { Redis } from 'ioredis';
import { RedisServer } from '../../test/helpers/redis-server.js';

/**
 * A `redis-server` of the run's own, on a free port and without persistence (RedisServer of the
 * tests), so that figures never depend on, or disturb, whatever runs on 6379.
 */
export class BenchRedis {
  private constructor(
    readonly server: RedisServer,
    readonly raw: Redis,
  ) {}

  static async start(extraArgs: string[] = []): Promise<BenchRedis> {
    if (!RedisServer.isAvailable()) {
      throw new Error('redis-server is not installed: apt-get install -y redis-server (or brew install redis)');
    }
    const server = await RedisServer.start(extraArgs);
    const raw = new Redis(server.url, { maxRetriesPerRequest: null });
    raw.on('error', () => undefined);
    return new BenchRedis(server, raw);
  }

  get url(): string {
    return this.server.url;
  }

  /** Empties the database between runs, so each starts from the same state. */
  async flush(): Promise<void> {
    await this.raw.flushall();
  }

  async info(section: string): Promise<Record<string, string>> {
    const text = await this.raw.info(section);
    const out: Record<string, string> = {};
    for (const line of text.split('\r\n')) {
      const at = line.indexOf(':');
      if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
    }
    return out;
  }

  async usedMemory(): Promise<number> {
    return Number((await this.info('memory')).used_memory);
  }

  async version(): Promise<string> {
    return (await this.info('server')).redis_version ?? '?';
  }

  /** Calls per command since the last reset; commands run inside Lua are counted too. */
  async commandCalls(): Promise<Map<string, number>> {
    const calls = new Map<string, number>();
    for (const [key, value] of Object.entries(await this.info('commandstats'))) {
      const count = /calls=(\d+)/.exec(value);
      if (key.startsWith('cmdstat_') && count) calls.set(key.slice('cmdstat_'.length), Number(count[1]));
    }
    return calls;
  }

  /** CPU seconds the server has used (user + system, main thread and others). */
  async cpuSeconds(): Promise<number> {
    const cpu = await this.info('cpu');
    return Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys);
  }

  async resetStats(): Promise<void> {
    await this.raw.config('RESETSTAT');
  }

  async close(): Promise<void> {
    this.raw.disconnect();
    await this.server.close();
  }
}
