import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardPrefixes } from '../../src/store/shards.js';
import { Turbine } from '../../src/tasks/app.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import { startWorker } from '../../src/worker/start.js';
import { pollUntil, uniquePrefix } from '../helpers/context.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { REPLICATED_WRITES } from '../helpers/redis-server.js';
import { tenantPerShard } from '../helpers/shards.js';

/**
 * A Redis Cluster primary killed under load, with tenants on three shards, each shard on its
 * own primary. A cluster of its own, unlike test/e2e/redis-cluster.test.ts (whose kill of a
 * one-shard deployment's primary this extends to shards and load): every node runs with
 * `min-replicas-to-write 1`, and producers wait for a replica (`WAIT`), so that an acknowledged
 * task is on the replica the cluster promotes.
 */

const SHARDS = 3;
/** Acknowledged tasks counted per shard before the kill, and again after each step. */
const LOAD = 150;
let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await RedisCluster.start({ primaries: 3, replicasPerPrimary: 1, serverArgs: REPLICATED_WRITES });
}, 120_000);

afterAll(() => cluster?.close());

describe('Tenants on three shards of a Redis Cluster whose primary is killed under load', () => {
  it('promotes its replica, keeps the other shards going, and runs every acknowledged task', async () => {
    const prefix = await cluster.spreadPrefix(SHARDS, () => `{${uniquePrefix()}}`);
    const tenants = tenantPerShard(SHARDS);
    const app = new Turbine({ backendUrl: cluster.url, prefix, shards: SHARDS, replication: { replicas: 1, timeoutMs: 1000 } });
    const manager = new TenantManager({ backendUrl: cluster.url, prefix, shards: SHARDS, actor: 'failover-test' });
    // Tasks are told apart by their arguments (shard, number), not by ids.
    const ran = new Set<string>();
    app.task({ name: 'work' }, async (shard: number, n: number) => {
      ran.add(`${shard}:${n}`);
    });
    const work = app.tasks.get('work')!;
    for (const tenantId of tenants) await manager.createTenant({ tenantId, name: tenantId });
    const worker = await startWorker({
      app,
      concurrency: 10,
      // Tasks running on the killed primary are redelivered once their lock lapses: soon.
      lockDurationMs: 5000,
      stalledIntervalMs: 2000,
      health: { port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
      metrics: { enabled: false },
    });
    const readyz = (): Promise<{ status: number; body: string }> =>
      fetch(`http://127.0.0.1:${worker.healthPort}/readyz`).then(async (r) => ({ status: r.status, body: await r.text() }));

    const acknowledged: string[][] = tenants.map(() => []);
    const refused: number[] = tenants.map(() => 0);
    let producing = true;
    // One producer per tenant, so per shard, submitting without pause; a task counts once acknowledged.
    const producers = tenants.map(async (tenantId, shard) => {
      for (let n = 0; producing; n++) {
        try {
          await work.applyAsync({ args: [shard, n], tenantId });
          acknowledged[shard]!.push(`${shard}:${n}`);
        } catch {
          refused[shard]! += 1;
          // A producer's pace while its shard refuses, not a wait for a state.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    });
    const counts = async (): Promise<number[]> => acknowledged.map((a) => a.length);
    try {
      await worker.ready();
      const before = await pollUntil(counts, (c) => c.every((n) => n >= LOAD), { timeoutMs: 30_000, what: `${LOAD} tasks on every shard` });

      const victim = await cluster.ownerOf(`${shardPrefixes(prefix, SHARDS)[0]}:tenants`);
      const promoted = await cluster.killPrimary(victim);

      // The promoted replica has no replica of its own: it refuses writes (NOREPLICAS) rather than
      // take tasks a second failure would lose. The worker says so; the other shards keep going.
      const stuck = await pollUntil(readyz, (r) => r.body.includes('NOREPLICAS'), { timeoutMs: 20_000, what: '/readyz naming NOREPLICAS' });
      expect(stuck.status).toBe(503);
      const refusing = acknowledged[0]!.length;
      const during = await pollUntil(counts, (c) => c[1]! >= before[1]! + LOAD && c[2]! >= before[2]! + LOAD, {
        timeoutMs: 30_000,
        what: 'the other shards to take tasks while shard 0 refuses',
      });
      expect(during[0]).toBe(refusing);
      // Shard 0's producer hears of the refusal (its call may still be retrying when the other
      // shards reach their count).
      await pollUntil(async () => refused[0]!, (n) => n > 0, { timeoutMs: 20_000, what: 'a submission to shard 0 refused' });

      // The killed node comes back as the new primary's replica: shard 0 takes writes again.
      await cluster.rejoin(victim);
      await pollUntil(counts, (c) => c[0]! >= refusing + LOAD, { timeoutMs: 30_000, what: 'shard 0 to take tasks again' });
      await pollUntil(readyz, (r) => r.status === 200, { timeoutMs: 20_000, what: 'the worker to be ready again' });
      producing = false;
      await Promise.all(producers);

      const all = acknowledged.flat();
      await pollUntil(async () => all.filter((task) => !ran.has(task)).length, (left) => left === 0, {
        timeoutMs: 60_000,
        what: 'every acknowledged task to run',
      }).catch(() => undefined);
      const lost = all.filter((task) => !ran.has(task));
      console.log(
        `Cluster primary ${victim.port} killed, replica ${promoted.port} promoted, ${SHARDS} shards under load: ` +
          `${all.length} tasks acknowledged (${acknowledged.map((a) => a.length).join(' / ')} by shard), ${lost.length} lost, ` +
          `${refused.join(' / ')} submissions refused by shard`,
      );
      expect(lost).toEqual([]);
    } finally {
      producing = false;
      await Promise.all(producers);
      await worker.close({ force: true });
      await app.close();
      await manager.close();
    }
  }, 180_000);
});
