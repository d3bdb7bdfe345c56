import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { hashTag } from '../../src/store/cluster.js';
import { hashShard, resolveShardCount, shardPrefixes } from '../../src/store/shards.js';

describe('shard prefixes', () => {
  it('keeps the prefix itself with one shard: the single-Redis layout is unchanged', () => {
    expect(shardPrefixes('turbine', 1)).toEqual(['turbine']);
    expect(shardPrefixes('{turbine}', 1)).toEqual(['{turbine}']);
  });

  it('gives each shard its own hash tag', () => {
    expect(shardPrefixes('turbine', 3)).toEqual(['{turbine-0}', '{turbine-1}', '{turbine-2}']);
    expect(shardPrefixes('{turbine}', 2)).toEqual(['{turbine-0}', '{turbine-1}']);
    expect(shardPrefixes('app:{jobs}:x', 2)).toEqual(['app:{jobs-0}:x', 'app:{jobs-1}:x']);
    const tags = shardPrefixes('{turbine}', 8).map(hashTag);
    expect(new Set(tags).size).toBe(8);
  });
});

describe('a new tenant’s shard', () => {
  it('is a stable hash of its id', () => {
    expect(hashShard('acme', 3)).toBe(hashShard('acme', 3));
    expect(hashShard('acme', 1)).toBe(0);
    // FNV-1a of "a" is 0xe40c292c.
    expect(hashShard('a', 1000)).toBe(0xe40c292c % 1000);
  });

  it('spreads tenants evenly over the shards', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[hashShard(`tenant-${i}`, 4)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(850);
  });
});

describe('the shard count', () => {
  it('is 1 unless configured, and refuses what is not a whole number from 1', () => {
    expect(resolveShardCount(undefined)).toBe(Number(process.env.TURBINE_SHARDS ?? 1));
    expect(resolveShardCount(3)).toBe(3);
    expect(() => resolveShardCount(0)).toThrow(InvalidArgumentError);
    expect(() => resolveShardCount(1.5)).toThrow(/whole number from 1 to 1024/);
  });
});
