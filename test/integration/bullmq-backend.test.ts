import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatcherScripts } from '../../src/dispatcher/scripts.js';
import { FunctionRunner } from '../../src/store/function-runner.js';
import { pollUntil } from '../helpers/context.js';
import { RedisServer } from '../helpers/redis-server.js';
import { ConcurrencyProbe, TestWorld } from '../helpers/worker.js';

/**
 * Turbine's moveToActive / moveToFinished run as a Redis Functions library where the server
 * allows it, else as EVAL scripts. Each test has a Redis of its own (it changes server state).
 */

let server: RedisServer;
let world: TestWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
  await server.close();
});

async function capWorkload(url: string, tasks: number) {
  world = new TestWorld(url);
  const probe = new ConcurrencyProbe();
  const work = world.app.task({ name: 'work' }, async () => probe.around(() => new Promise((r) => setTimeout(r, 2))));
  await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 3 } });
  await work.applyBulk(Array.from({ length: tasks }, () => ({ args: [] as [], tenantId: 'acme' })));
  return { probe, world };
}

describe("Turbine's BullMQ backend", () => {
  it('loads Turbine as a Functions library and survives the library being flushed mid-run', async () => {
    server = await RedisServer.start();
    const { probe, world: w } = await capWorkload(server.url, 300);
    await w.startWorker({ concurrency: 10 });
    await pollUntil(async () => probe.completed, (n) => n >= 50, { what: 'work under way' });
    const libraries = (await w.raw.call('FUNCTION', 'LIST')) as unknown[][];
    expect(JSON.stringify(libraries)).toMatch(/turbine_[0-9a-f]{16}/);
    // What a restart without persistence does to functions.
    await w.raw.call('FUNCTION', 'FLUSH');
    await pollUntil(async () => probe.completed, (n) => n === 300, { what: 'every task done after the flush' });
    expect(probe.max).toBe(3);
  });

  it('falls back to EVAL scripts where FUNCTION is not allowed', async () => {
    server = await RedisServer.start();
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'nofunctions', 'on', '>secret', '~*', '&*', '+@all', '-function');
    await admin.quit();
    const url = `redis://nofunctions:secret@127.0.0.1:${server.port}`;
    const { probe, world: w } = await capWorkload(url, 100);
    await w.startWorker({ concurrency: 10 });
    await pollUntil(async () => probe.completed, (n) => n === 100, { what: 'every task done with scripts' });
    expect(probe.max).toBe(3);
    const check = new Redis(server.url);
    expect(JSON.stringify(await check.call('FUNCTION', 'LIST'))).not.toMatch(/turbine_/);
    await check.quit();
  });

  it("reads a queue's delayed set once per millisecond of its fetches, and promotes what comes due in a later one", async () => {
    server = await RedisServer.start();
    const client = new Redis(server.url);
    try {
      const runner = new FunctionRunner(client, [dispatcherScripts.moveToActive]);
      const queue = 'due-check:q:work:';
      const keys = ['wait', 'active', 'prioritized', 'events', 'stalled', 'limiter', 'delayed', 'paused', 'meta', 'pc', 'marker'].map((k) => queue + k);
      // BullMQ's packed fetch options, MessagePack for { token: 't1', lockDuration: 30000 }.
      const options = Buffer.from('82a5746f6b656ea27431ac6c6f636b4475726174696f6ecd7530', 'hex');
      const fetchAt = (ms: number) => runner.run(dispatcherScripts.moveToActive, [...keys, queue, String(ms), options, '30000']);
      const delayedReads = async () => Number(/cmdstat_zrangebyscore:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
      await fetchAt(1_000);
      // A job (not a Turbine task: it goes to the wait list as BullMQ's own promotion puts it) due
      // at 1 001 ms, delayed after the first fetch.
      await client.hset(`${queue}j1`, 'name', 'plain', 'data', '{}', 'opts', '{}', 'timestamp', '1000', 'delay', '1');
      await client.zadd(`${queue}delayed`, 1_001 * 0x1000, 'j1');
      await client.config('RESETSTAT');
      await fetchAt(1_000);
      await fetchAt(1_000);
      expect(await delayedReads()).toBe(0);
      expect(await client.zscore(`${queue}delayed`, 'j1')).not.toBeNull();
      await fetchAt(1_001);
      expect(await delayedReads()).toBe(1);
      expect(await client.zscore(`${queue}delayed`, 'j1')).toBeNull();
    } finally {
      client.disconnect();
    }
  });
});
