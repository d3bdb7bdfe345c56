import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Every key with a digest of its serialized value (DUMP): equal snapshots mean nothing changed. */
export async function keyspaceSnapshot(client: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const dump = await client.dumpBuffer(key);
      if (dump) out.set(key, createHash('sha1').update(dump).digest('hex'));
    }
  } while (cursor !== '0');
  return out;
}

/** Keys added, removed or changed between two snapshots. */
export function keyspaceDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const diff: string[] = [];
  for (const [key, digest] of after) {
    if (!before.has(key)) diff.push(`+${key}`);
    else if (before.get(key) !== digest) diff.push(`~${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) diff.push(`-${key}`);
  return diff.sort();
}
