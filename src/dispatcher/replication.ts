import { isCluster, type RedisClient } from '../store/connection.js';

/** How many replicas must hold a submission before it is acknowledged. */
export interface ReplicationRequirement {
  replicas: number;
  /** Longest wait for them. @defaultValue 1000 */
  timeoutMs?: number;
}

export const DEFAULT_REPLICATION_TIMEOUT_MS = 1000;

/**
 * Waits until `replicas` replicas have every write this connection made (`WAIT`) and returns how
 * many did. Redis replicates asynchronously: a write the primary acknowledged can be missing on
 * the replica a failover promotes. After `WAIT` it is not, as long as the failover promotes a
 * replica that confirmed (Sentinel and Cluster promote the most up-to-date one).
 * `WAIT` has no key: on a cluster it is pipelined behind a read of `routingKey`, so that it
 * reaches the primary (and connection) that ran the writes.
 */
export async function waitForReplicas(client: RedisClient, routingKey: string, replicas: number, timeoutMs: number): Promise<number> {
  if (!isCluster(client)) return Number(await client.call('WAIT', replicas, timeoutMs));
  const replies = await client.pipeline().exists(routingKey).call('WAIT', replicas, timeoutMs).exec();
  const [error, confirmed] = replies?.[1] ?? [new Error('WAIT got no reply'), 0];
  if (error) throw error;
  return Number(confirmed);
}
