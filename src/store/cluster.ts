import { ConfigError } from '../core/errors.js';
import { isCluster, type RedisClient } from './connection.js';
import { parseBackendUrl } from './endpoint.js';

/**
 * The hash tag of a key: what Redis Cluster hashes to pick the key's slot, the text between
 * the first `{` and the next `}` when not empty; null when the whole key is hashed.
 */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}

/**
 * On Redis Cluster every key one Lua script touches must be in one slot: Turbine's scripts touch
 * a tenant's keys together with BullMQ's, so every key under the prefix must share its slot.
 */
export function assertClusterPrefix(prefix: string): void {
  if (hashTag(prefix) !== null) return;
  const suggestion = prefix.includes('{') || prefix.includes('}') ? '{turbine}' : `{${prefix}}`;
  throw new ConfigError(
    `The prefix '${prefix}' has no hash tag, which Redis Cluster needs: Turbine's scripts update a tenant's keys ` +
      `and BullMQ's together, so all of them must be in one slot. Use a prefix such as '${suggestion}' ` +
      '(the same for workers, producers and the CLI: --prefix, TURBINE_PREFIX or config.prefix).',
  );
}

/**
 * Checks, before anything connects, that `prefix` suits the Redis `source` (a backend URL, which
 * is also checked, or a client passed in): on a cluster it must hold a hash tag.
 */
export function assertPrefixFits(source: string | RedisClient, prefix: string): void {
  const cluster = typeof source === 'string' ? parseBackendUrl(source).kind === 'cluster' : isCluster(source);
  if (cluster) assertClusterPrefix(prefix);
}
