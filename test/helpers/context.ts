import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** The Redis chosen by the global setup. */
export function redisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix no other test uses, so tests never see each other's keys. */
export function uniquePrefix(): string {
  return `t-${randomUUID().slice(0, 12)}`;
}

/** A raw client, for reading keys back as they are stored. */
export function rawClient(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
}

/** Deletes every key under a prefix (a test's cleanup). */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.unlink(...keys);
  } while (cursor !== '0');
}

/** Polls `read` until `accept` holds or the deadline passes; returns the last value read. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 10_000, intervalMs = 20, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
