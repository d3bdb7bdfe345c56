import { TenantHasQueuedTasksError, TenantNotFoundError } from '../core/errors.js';
import { USAGE_METRICS, type KeyLayout } from '../core/keys.js';
import type { RedisClient } from '../store/connection.js';
import type { ShardRouter } from '../store/shards.js';
import type { TenancyScriptName } from './scripts.js';
import { decodeDeleteTenant, decodeTenantStats, decodeUpdateTenant } from './replies.js';

export interface MoveResult {
  tenantId: string;
  from: number;
  to: number;
  /** False when the tenant already lived on the target shard. */
  moved: boolean;
}

/**
 * Runs a tenancy script for the tenant being moved on the shard of `keys` (the tenant id is
 * added first); the raw reply is for the script's decoder in replies.ts.
 */
export type RunOn = (keys: KeyLayout, name: TenancyScriptName, args: (string | number)[]) => Promise<unknown>;

const HOUR_MS = 3_600_000;
const DEFAULT_RETENTION_MS = 35 * 24 * HOUR_MS;

/**
 * Moves a tenant between shards. Each step is atomic inside its shard; across shards the steps
 * are ordered so that an interrupted move can simply be run again:
 * 1. disable the tenant on its shard (no new submissions; it must have nothing in flight, or
 *    the move is refused and the tenant enabled again);
 * 2. copy its configuration, usage counters, metered hours and audit trail to the target shard
 *    (`DUMP`/`RESTORE REPLACE`, expiries kept);
 * 3. point the mapping at the target shard: the commit;
 * 4. enable it there again (if it was) and delete it from the old shard, whose change notice
 *    makes producers that still route to the old shard look the tenant up again.
 * Dead-letter entries and finished tasks' results stay on the old shard: the dead-letter queue
 * reads every shard; results expire there with their retention.
 */
export async function moveTenant(
  client: RedisClient,
  router: ShardRouter,
  tenantId: string,
  target: number,
  run: RunOn,
  actor: string,
): Promise<MoveResult> {
  const to = router.layout(target);
  const from = await router.shardOf(client, tenantId);
  const source = router.layout(from);
  const enabled = await client.hget(source.tenant(tenantId), 'enabled');
  if (enabled === null) throw new TenantNotFoundError(tenantId);
  if (from === target) return { tenantId, from, to: target, moved: false };

  const setEnabled = async (keys: KeyLayout, value: string): Promise<void> => {
    const now = new Date();
    decodeUpdateTenant(await run(keys, 'updateTenant', [JSON.stringify({ enabled: value }), '[]', now.toISOString(), actor, now.getTime()]), tenantId);
  };
  if (enabled === 'true') await setEnabled(source, 'false');
  const stats = decodeTenantStats(await run(source, 'tenantStats', []), tenantId);
  const inFlight = stats.pendingTasks + stats.concurrentTasks;
  if (inFlight > 0) {
    if (enabled === 'true') await setEnabled(source, 'true');
    throw new TenantHasQueuedTasksError(
      tenantId,
      inFlight,
      `a tenant moves only with nothing waiting, held, delayed or running: disable it (turbine tenant update ${tenantId} --enabled false), ` +
        `let its tasks finish or drain them (turbine tenant drain ${tenantId}), then move it`,
    );
  }

  await copyTenantKeys(client, source, to, tenantId, await usageHours(client, source));
  await client.sadd(to.tenants(), tenantId);
  await router.set(client, tenantId, target);
  if (enabled === 'true') await setEnabled(to, 'true');
  else await client.publish(to.changesChannel(), tenantId);
  const now = new Date();
  decodeDeleteTenant(await run(source, 'deleteTenant', ['0', now.toISOString(), actor, now.getTime(), 1]), tenantId);
  return { tenantId, from, to: target, moved: true };
}

/** The start (Unix seconds) of every hour whose metered usage may still be kept. */
async function usageHours(client: RedisClient, keys: KeyLayout): Promise<number[]> {
  const retention = Number(await client.hget(keys.usageSettings(), 'retention_ms')) || DEFAULT_RETENTION_MS;
  const last = Math.floor(Date.now() / HOUR_MS);
  const count = Math.ceil(retention / HOUR_MS) + 1;
  return Array.from({ length: count }, (_, i) => ((last - i) * HOUR_MS) / 1000);
}

/** Copies each of the tenant's own keys that exists, with its expiry, under the target's prefix. */
async function copyTenantKeys(client: RedisClient, from: KeyLayout, to: KeyLayout, tenantId: string, hours: number[]): Promise<void> {
  const names: [(keys: KeyLayout) => string, number | null][] = [
    [(k) => k.tenant(tenantId), null],
    [(k) => k.tenantQueues(tenantId), null],
    [(k) => k.audit(tenantId), null],
    ...USAGE_METRICS.map((metric): [(keys: KeyLayout) => string, null] => [(k) => k.usage(tenantId, metric), null]),
    ...hours.map((hour): [(keys: KeyLayout) => string, number] => [(k) => k.usageHour(tenantId, hour), hour]),
  ];
  // Two round trips: every key of one shard shares its hash tag, so each pipeline is one slot.
  const read = client.pipeline();
  for (const [name] of names) read.dumpBuffer(name(from)).pttl(name(from));
  const replies = (await read.exec()) ?? [];
  const write = client.pipeline();
  names.forEach(([name, hour], i) => {
    const [[dumpError, dump], [ttlError, ttl]] = [replies[2 * i]!, replies[2 * i + 1]!];
    if (dumpError ?? ttlError) throw dumpError ?? ttlError;
    if (dump === null) return;
    write.restore(name(to), Number(ttl) > 0 ? Number(ttl) : 0, dump as Buffer, 'REPLACE');
    if (hour !== null) write.sadd(to.usageHourTenants(hour), tenantId);
  });
  for (const [error] of (await write.exec()) ?? []) if (error) throw error;
}
