import { hashShard } from '../../src/store/shards.js';

/** One tenant id per shard (index = shard), by the hash new tenants are placed with. */
export function tenantPerShard(shards: number): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.filter(Boolean).length < shards; i++) ids[hashShard(`tenant-${i}`, shards)] ??= `tenant-${i}`;
  return ids;
}
