import { describe, expect, it, vi } from 'vitest';
import {
  RedisMemoryGuard,
  RedisMemoryPressureError,
  isOutOfMemoryReply,
  parseInfoMemory,
  type RedisMemory,
} from '../../src/dispatcher/memory-pressure.js';
import { httpErrorFor } from '../../src/http/errors.js';
import { rejectionReason } from '../../src/core/rejection.js';

const MiB = 1024 * 1024;

/** A reading source that counts its reads and answers what the test sets. */
function source(initial: RedisMemory) {
  const state = { memory: initial, reads: 0 };
  return { state, read: async () => (state.reads++, { ...state.memory }) };
}

describe('parseInfoMemory', () => {
  it('reads used_memory and maxmemory, not their look-alikes', () => {
    const info = '# Memory\r\nused_memory:1234567\r\nused_memory_human:1.18M\r\nused_memory_rss:999\r\nmaxmemory:8388608\r\nmaxmemory_human:8.00M\r\n';
    expect(parseInfoMemory(info)).toEqual({ usedBytes: 1234567, limitBytes: 8388608 });
    expect(parseInfoMemory('used_memory:10\r\n')).toEqual({ usedBytes: 10, limitBytes: 0 });
  });
});

describe('RedisMemoryGuard', () => {
  it('refuses at the high-water mark and not below it', async () => {
    const { state, read } = source({ usedBytes: 7 * MiB, limitBytes: 8 * MiB });
    const guard = new RedisMemoryGuard(read, { refreshIntervalMs: 10 });
    expect(await guard.check()).toBeNull();
    state.memory.usedBytes = 7.2 * MiB + 1;
    await guard.refresh();
    const refusal = await guard.check();
    expect(refusal).toBeInstanceOf(RedisMemoryPressureError);
    expect(refusal).toMatchObject({ code: 'REDIS_MEMORY_PRESSURE', usedBytes: 7.2 * MiB + 1, limitBytes: 8 * MiB, retryAfterSeconds: 1 });
  });

  it('never refuses without maxmemory, or when memory cannot be read', async () => {
    expect(await new RedisMemoryGuard(source({ usedBytes: 10 * MiB, limitBytes: 0 }).read).check()).toBeNull();
    const failing = new RedisMemoryGuard(() => Promise.reject(new Error('NOPERM this user has no permissions to run the info command')));
    expect(await failing.check()).toBeNull();
  });

  it('reads once per refresh interval however many submissions check it', async () => {
    const { state, read } = source({ usedBytes: MiB, limitBytes: 8 * MiB });
    const guard = new RedisMemoryGuard(read, { refreshIntervalMs: 60_000 });
    for (let i = 0; i < 1000; i++) await guard.check();
    expect(state.reads).toBe(1);
  });

  it('refreshes a stale reading in the background, answering from the old one meanwhile', async () => {
    const { state, read } = source({ usedBytes: MiB, limitBytes: 8 * MiB });
    const guard = new RedisMemoryGuard(read, { refreshIntervalMs: 10 });
    await guard.check();
    state.memory.usedBytes = 8 * MiB;
    // The reading goes stale with time, not with any event: move the clock past the interval.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 15);
      expect(await guard.check()).toBeNull();
    } finally {
      vi.useRealTimers();
    }
    expect(state.reads).toBe(2);
    expect(await guard.check()).toBeInstanceOf(RedisMemoryPressureError);
  });

  it('rejects a bad high-water mark or interval with the reason', () => {
    const { read } = source({ usedBytes: 0, limitBytes: 0 });
    expect(() => new RedisMemoryGuard(read, { highWaterMark: 1.5 })).toThrow(/Invalid memory.highWaterMark 1.5: expected a fraction of maxmemory above 0 and at most 1/);
    expect(() => new RedisMemoryGuard(read, { refreshIntervalMs: 0 })).toThrow(/Invalid memory.refreshIntervalMs 0/);
  });
});

describe('RedisMemoryPressureError', () => {
  it('is answered 503 with Retry-After, and counted as memory_pressure', () => {
    const error = new RedisMemoryPressureError(7 * MiB, 8 * MiB, 3);
    expect(httpErrorFor(error)).toMatchObject({ status: 503, body: { error: 'REDIS_MEMORY_PRESSURE' }, headers: { 'retry-after': '3' } });
    expect(rejectionReason(error)).toBe('memory_pressure');
  });

  it("recognises Redis's OOM reply", () => {
    expect(isOutOfMemoryReply(new Error("OOM command not allowed when used memory > 'maxmemory'."))).toBe(true);
    expect(isOutOfMemoryReply(new Error('NOSCRIPT No matching script'))).toBe(false);
  });
});
