import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * `AsyncResult.status()` of a held task must not scan the tenant's held list: pollers of a
 * tenant with a huge backlog would slow Redis down for every other tenant. Counted on a Redis
 * of the test's own, where no other test's commands mix in.
 */
let server: RedisServer;
let world: TestWorld;

beforeAll(async () => {
  server = await RedisServer.start();
  world = new TestWorld(server.url);
});

afterAll(async () => {
  await world.close();
  await server.close();
});

async function listScans(): Promise<number> {
  const stats = (await world.raw.info('commandstats')).split('\n');
  const calls = (name: string): number => Number(stats.find((l) => l.startsWith(`cmdstat_${name}:`))?.match(/calls=(\d+)/)?.[1] ?? 0);
  return calls('lpos') + calls('lrange') + calls('lindex');
}

it('answers held for a task deep in a long held list without reading the list', async () => {
  const work = world.app.task({ name: 'work' }, async () => 1);
  await world.tenant('acme', { maxConcurrentTasks: 1 });
  for (let i = 0; i < 10; i++) {
    await work.applyBulk(Array.from({ length: 2000 }, () => ({ args: [] as [], tenantId: 'acme' })));
  }
  const last = await work.applyAsync({ args: [], tenantId: 'acme' });
  expect(last.placement).toBe('held');
  const before = await listScans();
  expect(await last.status()).toBe('held');
  expect(await listScans()).toBe(before);
});

it('writes the hold record a trace reads only for a task that carries a trace context', async () => {
  const work = world.app.task({ name: 'plain', queue: 'untraced' }, async () => 1);
  await world.tenant('capped', { maxConcurrentTasks: 1 });
  const [, held] = await Promise.all([0, 1].map(() => work.applyAsync({ args: [], tenantId: 'capped' })));
  expect(held!.placement).toBe('held');
  const jobKey = `${world.prefix}:q:untraced:capped@${held!.taskId}`;
  expect(await world.raw.exists(jobKey)).toBe(1);
  expect(await world.raw.hget(jobKey, 'thld')).toBeNull();
});
