import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Turbine } from '../../src/tasks/app.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import { startWorker } from '../../src/worker/start.js';
import { pollUntil, uniquePrefix } from '../helpers/context.js';
import { RedisSentinelSet } from '../helpers/redis-sentinel.js';

/**
 * Turbine behind Redis Sentinel started by the test (a primary, a replica, three sentinels,
 * `min-replicas-to-write 1`), reached from the `redis+sentinel://` URL alone.
 */

let sentinel: RedisSentinelSet;

beforeAll(async () => {
  sentinel = await RedisSentinelSet.start();
}, 120_000);

afterAll(() => sentinel?.close());

describe('Turbine on Redis Sentinel', () => {
  it('fails over under load without losing an acknowledged task; the worker and the SDK follow the new primary', async () => {
    const prefix = uniquePrefix();
    // Acknowledged only once the replica has the task: what a failover promotes holds it.
    const app = new Turbine({ backendUrl: sentinel.url, prefix, replication: { replicas: 1, timeoutMs: 1000 } });
    const manager = new TenantManager({ backendUrl: sentinel.url, prefix, actor: 'sentinel-test' });
    // Tasks are told apart by their arguments: an id handed out twice must not hide a lost task.
    const ran = new Set<string>();
    app.task({ name: 'work' }, async (producer: number, n: number) => {
      ran.add(`${producer}:${n}`);
    });
    const work = app.tasks.get('work')!;
    await manager.createTenant({ tenantId: 'acme', name: 'ACME' });
    const worker = await startWorker({
      app,
      concurrency: 20,
      health: { port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
      metrics: { enabled: false },
    });
    // A worker given the primary's own address, as before Sentinel support: after the failover it
    // is on a replica, and must say so rather than stay ready.
    const fixed = await startWorker({
      app,
      backendUrl: (await sentinel.primary()).url,
      health: { port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
      metrics: { enabled: false },
    });
    const readyz = (): Promise<number> => fetch(`http://127.0.0.1:${worker.healthPort}/readyz`).then((r) => r.status);
    const fixedReadyz = (): Promise<{ status: number; body: string }> =>
      fetch(`http://127.0.0.1:${fixed.healthPort}/readyz`).then(async (r) => ({ status: r.status, body: await r.text() }));
    try {
      await worker.ready();
      // Producers submit without pause; a submission counts once Redis acknowledged it.
      const acknowledged: string[] = [];
      const ids: string[] = [];
      let refused = 0;
      let producing = true;
      const producers = Array.from({ length: 4 }, async (_, producer) => {
        for (let n = 0; producing; n++) {
          try {
            ids.push((await work.applyAsync({ args: [producer, n], tenantId: 'acme' })).taskId);
            acknowledged.push(`${producer}:${n}`);
          } catch {
            // Refused at once while the client reconnects: let timers and sockets run.
            refused += 1;
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      });
      await pollUntil(async () => acknowledged.length, (n) => n >= 300, { what: 'load before the failover' });
      const { from, to } = await sentinel.failover();
      const atFailover = acknowledged.length;
      await pollUntil(async () => acknowledged.length, (n) => n >= atFailover + 300, {
        timeoutMs: 30_000,
        what: 'submissions to succeed on the new primary',
      });
      producing = false;
      await Promise.all(producers);

      await pollUntil(readyz, (status) => status === 200, { timeoutMs: 20_000, what: 'the worker to be ready again' });
      const stuck = await pollUntil(fixedReadyz, (r) => r.body.includes('READONLY'), { what: 'the fixed-URL worker to see READONLY' });
      expect(stuck.status).toBe(503);
      await pollUntil(async () => acknowledged.filter((id) => !ran.has(id)).length, (left) => left === 0, {
        timeoutMs: 60_000,
        what: 'every acknowledged task to run',
      }).catch(() => undefined);
      const lost = acknowledged.filter((task) => !ran.has(task));
      console.log(
        `Sentinel failover ${from.port} → ${to.port} under load: ${acknowledged.length} tasks acknowledged, ` +
          `${lost.length} lost, ${refused} submissions refused or unconfirmed during the failover`,
      );
      expect(lost).toEqual([]);
      // No id is handed out twice across the failover (ids are ULIDs made by the producer, never a counter that a rollback could rewind).
      expect(new Set(ids).size).toBe(ids.length);
      expect(await sentinel.primary()).toBe(to);
    } finally {
      await fixed.close({ force: true });
      await worker.close({ force: true });
      await app.close();
      await manager.close();
    }
  });
});
