import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { excludeClient, installCommandCounter, startCounting, stopCounting } from '../../bench/lib/command-counter.js';
import { DeadLetterQueue } from '../../src/dlq/queue.js';
import { noticeOf, serveConsole, type ConsoleServer } from '../helpers/console-server.js';
import { pollUntil, redisUrl, uniquePrefix } from '../helpers/context.js';
import { tenantPerShard } from '../helpers/shards.js';
import { TestWorld, gate } from '../helpers/worker.js';

/**
 * The console on a deployment of three shards: one real Redis, where each shard is a keyspace
 * of its own (`{prefix-0}` …), with a tenant on every shard. Each reading must cover every
 * shard, and each action must land on the tenant's shard.
 */

const SHARDS = 3;
const TOKEN = 'shards-token';
const tenants = tenantPerShard(SHARDS);
let world: TestWorld;
let dlq: DeadLetterQueue;
let web: ConsoleServer | undefined;

beforeEach(async () => {
  world = new TestWorld(redisUrl(), uniquePrefix(), { shards: SHARDS });
  dlq = new DeadLetterQueue({ backendUrl: world.url, prefix: world.prefix, shards: SHARDS });
  for (const tenantId of tenants) await world.tenant(tenantId, { maxConcurrentTasks: 1 });
});

afterEach(async () => {
  await web?.close();
  web = undefined;
  await dlq.close();
  await world.close();
});

async function serve(refreshMs: number): Promise<ConsoleServer> {
  web = await serveConsole({ backendUrl: world.url, prefix: world.prefix, shards: SHARDS, token: TOKEN, refreshMs });
  return web;
}

/** A cell of a tenant's row on the Tenants page. */
function tenantField(page: string, tenantId: string, field: string): string | undefined {
  const row = new RegExp(`<tr data-tenant="${tenantId}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';
  return new RegExp(`data-field="${field}">([\\s\\S]*?)</td>`).exec(row)?.[1];
}

/** Held, waiting and running of a tenant in a queue's "Depth by tenant" table. */
function depth(page: string, tenantId: string): number[] | undefined {
  const cells = new RegExp(`>${tenantId}</a></th><td class="num">(\\d+)</td><td class="num">(\\d+)</td><td class="num">(\\d+)</td>`).exec(page);
  return cells?.slice(1).map(Number);
}

/** The tasks: `work` waits for `released`, `boom` always fails (and is dead-lettered). */
function tasks(released: Promise<void>) {
  const work = world.app.task({ name: 'work', queue: 'work' }, async () => {
    await released;
    return 'done';
  });
  const boom = world.app.task({ name: 'boom', queue: 'work', retries: 0 }, async () => {
    throw new Error('always fails');
  });
  return { work, boom };
}

describe('the console on three shards', () => {
  it('shows every shard’s tenants, held tasks, dead letters, queues and workers', async () => {
    expect(await Promise.all(tenants.map((t) => world.manager.shardOf(t)))).toEqual([0, 1, 2]);
    const release = gate();
    const { work, boom } = tasks(release.promise);
    const worker = await world.startWorker({ queues: ['work'], concurrency: 10 });
    try {
      for (const tenantId of tenants) await boom.applyAsync({ args: [], tenantId });
      await pollUntil(() => dlq.count(), (n) => n === SHARDS, { what: 'a dead letter of each tenant' });
      // Cap 1: one task of each tenant runs (and waits for the gate), two are held.
      const submitted = new Map<string, string[]>();
      for (const tenantId of tenants) {
        const results = await Promise.all([0, 1, 2].map(() => work.applyAsync({ args: [], tenantId })));
        submitted.set(tenantId, results.map((r) => r.taskId));
      }
      const ui = await serve(100);

      const overview = await pollUntil(
        () => ui.page('/'),
        (page) => tenants.every((t) => tenantField(page, t, 'running') === '1 / 1' && tenantField(page, t, 'held') === '2'),
        { what: 'each tenant running 1 and holding 2 on the Tenants page' },
      );
      for (const tenantId of tenants) expect(tenantField(overview, tenantId, 'dlq')).toContain('>1</a>');

      for (const [shard, tenantId] of tenants.entries()) {
        const page = await ui.page(`/tenants/${tenantId}`);
        expect(page).toContain(`shard ${shard} (of 3, numbered from 0)`);
        const held = [...page.matchAll(/data-held-task="([^"]+)"/g)].map((m) => m[1]!);
        expect(held).toHaveLength(2);
        for (const taskId of held) expect(submitted.get(tenantId)).toContain(taskId);
        expect(page).toContain('<td>boom</td>');
        expect(page).toContain('data-audit-action="create"');
      }

      const queues = await pollUntil(
        () => ui.page('/queues'),
        (page) => page.includes(`<code>${worker.id}</code> ×${10 * SHARDS}`),
        { what: 'the worker’s leases of every shard on the Queues page' },
      );
      // BullMQ's lists are summed over the shards: one task of each tenant is active.
      expect(queues).toContain(`data-count="active">${SHARDS}<`);
      for (const tenantId of tenants) expect(depth(queues, tenantId)).toEqual([2, 0, 1]);
      // One worker, announced on three shards: listed once, its concurrency added up.
      expect(queues.split(`<code>${worker.id}</code>`)).toHaveLength(2);
      expect(queues).toContain(`1 workers, concurrency ${10 * SHARDS} in all`);

      const workers = await ui.page('/workers');
      expect(workers.split(`<code>${worker.id}</code>`)).toHaveLength(2);
      expect(workers).toMatch(new RegExp(`<td>work</td><td class="num">${10 * SHARDS}</td>`));

      const deadLetters = await ui.page('/dead-letters');
      expect(deadLetters).toContain(`${SHARDS} entries match`);
      for (const tenantId of tenants) expect(deadLetters).toContain(`<td>${tenantId}</td>`);
      const [entry] = await dlq.list({ tenantId: tenants[2]! });
      expect(await ui.page(`/dead-letters/entry?id=${encodeURIComponent(entry!.entryId)}`)).toContain(`<dd>${tenants[2]}</dd>`);
    } finally {
      release.open();
    }
  });

  it('does each action on the tenant’s own shard, audited there', async () => {
    const { work, boom } = tasks(Promise.resolve());
    const ui = await serve(100);
    for (const tenantId of tenants) {
      expect(await ui.act('quota', { tenant: tenantId, quota: 'maxTasksPerHour', value: '70' }).then((r) => r.status)).toBe(303);
      expect((await world.manager.requireTenant(tenantId)).quotas.maxTasksPerHour).toBe(70);
      expect(noticeOf(await ui.act('disable', { tenant: tenantId }))).toBe(`Disabled tenant ${tenantId}.`);
      expect((await world.manager.requireTenant(tenantId)).enabled).toBe(false);
      expect(noticeOf(await ui.act('enable', { tenant: tenantId }))).toBe(`Enabled tenant ${tenantId}.`);

      // No worker yet: the first task waits on the tenant's shard, the second is held (cap 1).
      const cancelled = await work.applyAsync({ args: [], tenantId });
      const drained = await work.applyAsync({ args: [], tenantId });
      const cancel = await ui.act('cancel', { tenant: tenantId, queue: 'work', task: cancelled.taskId });
      expect(noticeOf(cancel)).toBe(`Cancelled task ${cancelled.taskId} of ${tenantId} (it was waiting).`);
      expect(await cancelled.status()).toBe('unknown');
      const drain = await ui.act('drain', { tenant: tenantId });
      expect(noticeOf(drain)).toMatch(new RegExp(`^Drained ${tenantId} in every queue: removed 1 waiting`));
      expect(await drained.status()).toBe('unknown');
    }

    await world.startWorker({ queues: ['work'] });
    for (const tenantId of tenants) await boom.applyBulk([{ args: [], tenantId }, { args: [], tenantId }]);
    const entries = await pollUntil(() => dlq.list(), (list) => list.length === 2 * SHARDS, { what: 'two dead letters of each tenant' });
    for (const tenantId of tenants) {
      const [replayed] = entries.filter((e) => e.tenantId === tenantId);
      expect(noticeOf(await ui.act('replay', { entry: replayed!.entryId }))).toMatch(new RegExp(`^Replayed ${replayed!.entryId} as task`));
      expect(await dlq.get(replayed!.entryId)).toBeNull();
      await pollUntil(() => dlq.count({ tenantId }), (n) => n === 2, { what: `the replayed task of ${tenantId} to fail again` });
      expect(noticeOf(await ui.act('purge', { tenant: tenantId }))).toBe(`Purged 2 dead letters of ${tenantId}.`);
    }
    expect(await dlq.count()).toBe(0);

    // Every change is in the tenant's audit trail, on its shard, by the console's operator.
    for (const tenantId of tenants) {
      const actions = (await world.manager.getAuditLog(tenantId)).filter((e) => e.actor === 'ui:operator').map((e) => e.action);
      expect(actions.reverse()).toEqual(['update', 'disable', 'enable', 'cancel', 'drain', 'dlq_replay', 'dlq_purge']);
    }
  });

  it('reads every shard once per interval, however many browsers ask', async () => {
    installCommandCounter();
    excludeClient(world.raw);
    const ui = await serve(60_000);
    // Connected, scripts loaded, and the readings' cache emptied by an action.
    await ui.page('/');
    const reading = async (browsers: number): Promise<Map<string, number>> => {
      await ui.act('enable', { tenant: tenants[0]! });
      startCounting();
      const pages = await Promise.all(Array.from({ length: browsers }, () => ui.page('/')));
      const { counted } = stopCounting();
      for (const page of pages) for (const tenantId of tenants) expect(page).toContain(`data-tenant="${tenantId}"`);
      return counted.byName;
    };
    const one = await reading(1);
    // The Tenants reading lists the tenants of every shard.
    expect(one.get('smembers')).toBe(SHARDS);
    expect(await reading(20)).toEqual(one);
  });
});
