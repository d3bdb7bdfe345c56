import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../src/dlq/queue.js';
import { serveConsole, noticeOf, type ConsoleServer } from '../helpers/console-server.js';
import { pollUntil } from '../helpers/context.js';
import { TestWorld } from '../helpers/worker.js';

/** The console's actions over HTTP (Bearer token), against a real Redis and worker. */

const TOKEN = 'actions-token';
let world: TestWorld;
let web: ConsoleServer;
let dlq: DeadLetterQueue;

async function serve(token: string | undefined): Promise<void> {
  web = await serveConsole({ backendUrl: world.url, prefix: world.prefix, token });
}

function act(action: string, fields: Record<string, string>, token = TOKEN): Promise<Response> {
  return web.act(action, fields, token);
}

beforeEach(async () => {
  world = new TestWorld();
  dlq = new DeadLetterQueue({ backendUrl: world.url, prefix: world.prefix });
  await world.tenant('acme');
});

afterEach(async () => {
  await web.close();
  await dlq.close();
  await world.close();
});

async function deadLetters(count: number): Promise<string[]> {
  let fail = true;
  const flaky = world.app.task({ name: 'flaky', queue: 'work', retries: 0 }, async () => {
    if (fail) throw new Error('boom');
    return 'ok';
  });
  await world.startWorker({ queues: ['work'] });
  await flaky.applyBulk(Array.from({ length: count }, () => ({ args: [], tenantId: 'acme' })));
  const entries = await pollUntil(() => dlq.list({ tenantId: 'acme' }), (list) => list.length === count, { what: `${count} dead letters` });
  fail = false;
  return entries.map((e) => e.entryId);
}

describe('console actions', () => {
  it('changes a quota, and empties it to unlimited', async () => {
    await serve(TOKEN);
    expect((await act('quota', { tenant: 'acme', quota: 'maxTasksPerHour', value: '120' })).status).toBe(303);
    expect((await world.manager.requireTenant('acme')).quotas.maxTasksPerHour).toBe(120);
    expect((await act('quota', { tenant: 'acme', quota: 'maxTasksPerHour', value: '' })).status).toBe(303);
    expect((await world.manager.requireTenant('acme')).quotas.maxTasksPerHour ?? null).toBeNull();
    const bad = await act('quota', { tenant: 'acme', quota: 'maxTasksPerHour', value: '-3' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('enter a whole number');
    const [latest] = await world.manager.getAuditLog('acme', { limit: 1 });
    expect(latest).toMatchObject({ action: 'update', actor: 'ui:operator' });
  });

  it('replays a dead letter and purges the rest, each written to the audit trail', async () => {
    await serve(TOKEN);
    const [first, ...rest] = await deadLetters(3);
    expect((await act('replay', { entry: first! })).status).toBe(303);
    expect(await dlq.get(first!)).toBeNull();
    const purged = await act('purge', { tenant: 'acme' });
    expect(purged.status).toBe(303);
    expect(noticeOf(purged)).toBe(`Purged ${rest.length} dead letters of acme.`);
    expect(await dlq.count({ tenantId: 'acme' })).toBe(0);
    const [purge, replay] = await world.manager.getAuditLog('acme', { limit: 2 });
    expect(purge).toMatchObject({ action: 'dlq_purge', actor: 'ui:operator', changes: { queue: null, removed: 2 } });
    expect(replay).toMatchObject({ action: 'dlq_replay', actor: 'ui:operator', changes: { entry_id: first } });
  });

  it('is read-only without a token: no action, no sign-in', async () => {
    await serve(undefined);
    const refused = await act('disable', { tenant: 'acme' }, 'anything');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('start it with TURBINE_UI_TOKEN');
    const page = await web.page('/tenants/acme');
    expect(page).toContain('Read-only (no TURBINE_UI_TOKEN set)');
    expect(page).not.toContain('/actions/');
    expect((await world.manager.requireTenant('acme')).enabled).toBe(true);
  });
});
