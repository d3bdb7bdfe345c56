import { TenantNotFoundError } from '../core/errors.js';
import { admitTasks, type AdmissionOutcome, type AdmissionRequest } from './admission.js';
import type { ReplicationRequirement } from './replication.js';
import type { RedisClient } from '../store/connection.js';
import type { ShardRouter } from '../store/shards.js';

/**
 * Admits each request on the shard of its tenant: one `admitTasks` call per shard, answers in
 * the order asked. A tenant refused as not found on the shard this process remembered may have
 * been moved: its shard is looked up again and, if it changed, its requests are admitted there.
 */
export async function admitRouted(
  client: RedisClient,
  router: ShardRouter,
  requests: readonly AdmissionRequest[],
  replication: ReplicationRequirement | undefined,
): Promise<AdmissionOutcome[]> {
  if (router.count === 1) return admitTasks(client, router.layout(0), requests, replication);
  const shards = await Promise.all(requests.map((r) => router.shardOf(client, r.tenantId)));
  const outcomes = await admitOnShards(client, router, requests, shards, replication);
  const stale = requests.flatMap((request, i) => (isNotFound(outcomes[i]!) ? [i] : []));
  if (stale.length === 0) return outcomes;
  for (const i of stale) router.forget(requests[i]!.tenantId);
  const moved: number[] = [];
  const movedShards: number[] = [];
  for (const i of stale) {
    const shard = await router.shardOf(client, requests[i]!.tenantId);
    if (shard !== shards[i]) {
      moved.push(i);
      movedShards.push(shard);
    }
  }
  if (moved.length === 0) return outcomes;
  const retried = await admitOnShards(client, router, moved.map((i) => requests[i]!), movedShards, replication);
  moved.forEach((i, j) => (outcomes[i] = retried[j]!));
  return outcomes;
}

async function admitOnShards(
  client: RedisClient,
  router: ShardRouter,
  requests: readonly AdmissionRequest[],
  shards: readonly number[],
  replication: ReplicationRequirement | undefined,
): Promise<AdmissionOutcome[]> {
  const outcomes: AdmissionOutcome[] = new Array<AdmissionOutcome>(requests.length);
  const byShard = new Map<number, number[]>();
  shards.forEach((shard, i) => byShard.set(shard, [...(byShard.get(shard) ?? []), i]));
  await Promise.all(
    [...byShard].map(async ([shard, indexes]) => {
      const admitted = await admitTasks(client, router.layout(shard), indexes.map((i) => requests[i]!), replication);
      indexes.forEach((i, j) => (outcomes[i] = admitted[j]!));
    }),
  );
  return outcomes;
}

function isNotFound(outcome: AdmissionOutcome): boolean {
  return !outcome.ok && outcome.error instanceof TenantNotFoundError;
}
