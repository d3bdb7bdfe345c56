import type { RedisClient } from '../store/connection.js';
import { isOutOfMemoryReply } from '../core/classify.js';
import { InvalidArgumentError, TurbineError } from '../core/errors.js';

export { isOutOfMemoryReply };

/** Redis's memory as `INFO memory` reports it. `limitBytes` is 0 when no `maxmemory` is set. */
export interface RedisMemory {
  usedBytes: number;
  limitBytes: number;
}

export interface MemoryGuardOptions {
  /**
   * Fraction of `maxmemory` past which submissions are refused, from 0 (exclusive) to 1.
   * @defaultValue 0.9
   */
  highWaterMark?: number;
  /** How long a reading of Redis's memory is used before it is read again. @defaultValue 1000 */
  refreshIntervalMs?: number;
}

export const DEFAULT_HIGH_WATER_MARK = 0.9;
const DEFAULT_REFRESH_MS = 1000;

/**
 * Redis is (nearly) out of memory: the submission was refused before anything was written.
 * Workers keep finishing tasks meanwhile, which frees memory; retry after `retryAfterSeconds`.
 */
export class RedisMemoryPressureError extends TurbineError {
  constructor(
    readonly usedBytes: number | null,
    readonly limitBytes: number | null,
    readonly retryAfterSeconds: number,
  ) {
    const figures =
      usedBytes !== null && limitBytes ? ` (${mib(usedBytes)} of maxmemory ${mib(limitBytes)} used)` : ' (maxmemory reached)';
    super(
      'REDIS_MEMORY_PRESSURE',
      `Redis is low on memory${figures}: the task was not submitted; retry in ${retryAfterSeconds} s, ` +
        'or free memory (lower result retention, drain queues) or raise maxmemory',
    );
    this.name = 'RedisMemoryPressureError';
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Reads `used_memory` and `maxmemory` from an `INFO memory` reply. */
export function parseInfoMemory(info: string): RedisMemory {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : 0;
  };
  return { usedBytes: field('used_memory'), limitBytes: field('maxmemory') };
}

export async function readRedisMemory(client: RedisClient): Promise<RedisMemory> {
  return parseInfoMemory(await client.info('memory'));
}

/**
 * Decides whether submissions may write to Redis, from a cached reading of its memory. The
 * reading is taken at the first check and then again in the background once it is older than
 * the refresh interval: a submission never waits on `INFO` after the first, and a burst of
 * submissions costs one `INFO` per interval. A failed read (an account not allowed `INFO`)
 * lets submissions through: Redis's own refusal (OOM) is then still turned into this error.
 */
export class RedisMemoryGuard {
  readonly highWaterMark: number;
  readonly refreshIntervalMs: number;
  private reading: RedisMemory | null = null;
  private readAt = 0;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly read: () => Promise<RedisMemory>,
    options: MemoryGuardOptions = {},
  ) {
    const mark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    if (typeof mark !== 'number' || !(mark > 0 && mark <= 1)) {
      throw new InvalidArgumentError(`Invalid memory.highWaterMark ${JSON.stringify(mark)}: expected a fraction of maxmemory above 0 and at most 1 (0.9 is 90 %)`);
    }
    const interval = options.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
    if (!Number.isInteger(interval) || interval < 10) {
      throw new InvalidArgumentError(`Invalid memory.refreshIntervalMs ${JSON.stringify(interval)}: expected a whole number of ms, at least 10`);
    }
    this.highWaterMark = mark;
    this.refreshIntervalMs = interval;
  }

  /** Seconds a refused producer should wait: about one refresh of the reading. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.refreshIntervalMs / 1000));
  }

  /** The error to refuse submissions with now, or null when Redis has room. */
  async check(): Promise<RedisMemoryPressureError | null> {
    if (this.readAt === 0) await this.refresh();
    else if (Date.now() - this.readAt >= this.refreshIntervalMs) void this.refresh();
    const memory = this.reading;
    if (!memory || memory.limitBytes === 0) return null;
    if (memory.usedBytes < memory.limitBytes * this.highWaterMark) return null;
    return new RedisMemoryPressureError(memory.usedBytes, memory.limitBytes, this.retryAfterSeconds);
  }

  /** Reads memory now (at most one read at a time). */
  refresh(): Promise<void> {
    this.inFlight ??= this.read()
      .then(
        (memory) => {
          this.reading = memory;
        },
        () => {
          this.reading = null;
        },
      )
      .finally(() => {
        this.readAt = Date.now();
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
