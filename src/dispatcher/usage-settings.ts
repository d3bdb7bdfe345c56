import type { RedisClient } from '../store/connection.js';
import type { KeyLayout } from '../core/keys.js';

/** How usage metering keeps its counts, as the worker's `metering` options set it. */
export interface UsageSettings {
  retentionDays: number;
  stream: boolean;
  streamMaxLength: number;
}

/**
 * Writes the metering settings where the scripts read them (`<prefix>:usage:settings`): the
 * retention of each hour's counts, and the usage stream's length, absent while it is off. They
 * live in Redis because BullMQ's fetch and finish, which count starts and finishes, take no
 * arguments of Turbine's. Every worker writes them at start, so the last one started decides.
 */
export async function writeUsageSettings(client: RedisClient, keys: KeyLayout, settings: UsageSettings): Promise<void> {
  const key = keys.usageSettings();
  const pipeline = client.pipeline().hset(key, 'retention_ms', settings.retentionDays * 86_400_000);
  if (settings.stream) pipeline.hset(key, 'stream_max_length', settings.streamMaxLength);
  else pipeline.hdel(key, 'stream_max_length');
  const replies = (await pipeline.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
}
