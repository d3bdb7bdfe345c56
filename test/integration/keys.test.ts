import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { jobIdOf } from '../../src/core/task-ids.js';
import { DEFAULT_DISPATCH_WINDOW } from '../../src/dispatcher/window.js';
import { Turbine } from '../../src/tasks/app.js';
import { KeyLayout, laneOf, SHARED_POOL } from '../../src/core/keys.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import { redisUrl } from '../helpers/context.js';

const raw = new Redis(redisUrl());
afterAll(() => raw.quit());

describe('key layout', () => {
  it('builds the same names in Lua as in TypeScript', async () => {
    const lua = `${readFileSync('src/core/lua/includes/keys.lua', 'utf8')}
local P, T, Q = ARGV[1], ARGV[2], ARGV[3]
return {tenantKey(P, T), usageKey(P, T, "tasks_hour"), slotsKey(P, T, Q), heldKey(P, T, Q),
  tenantQueuesKey(P, T), deferredKey(P, T), auditKey(P, T), tenantsKey(P), queuesKey(P),
  changesChannel(P), windowKey(P), dlqKey(P), dlqEntryKey(P, Q .. ":42"), dlqByTenantKey(P, T),
  bullKey(P, Q, "wait"), busyKey(P, Q), busyWeightKey(P), activeTenantsKey(P), rateKey(P, T), rateWakeKey(P, T),
  usageHourKey(P, T, 1796450400), usageHourTenantsKey(P, 1796450400), usageSettingsKey(P), usageEventsKey(P), poolsKey(P),
  laneOf(Q, "shared"), laneOf(Q, "premium"), poolBullKey(P, Q, "shared", "wait"),
  poolBullKey(P, Q, "premium", "wait"), poolBullKey(P, Q, "premium", "marker")}`;
    const keys = new KeyLayout('{pfx}');
    const fromLua = await raw.eval(lua, 0, '{pfx}', 'acme-corp', 'emails');
    expect(fromLua).toEqual([
      keys.tenant('acme-corp'),
      keys.usage('acme-corp', 'tasks_hour'),
      keys.slots('acme-corp', 'emails'),
      keys.held('acme-corp', 'emails'),
      keys.tenantQueues('acme-corp'),
      keys.deferred('acme-corp'),
      keys.audit('acme-corp'),
      keys.tenants(),
      keys.queues(),
      keys.changesChannel(),
      keys.dispatchWindow(),
      keys.dlq(),
      keys.dlqEntry('emails:42'),
      keys.dlqByTenant('acme-corp'),
      `${keys.bullPrefix()}:emails:wait`,
      keys.busyTenants('emails'),
      keys.busyWeight(),
      keys.activeTenants(),
      keys.rate('acme-corp'),
      keys.rateWake('acme-corp'),
      keys.usageHour('acme-corp', 1796450400),
      keys.usageHourTenants(1796450400),
      keys.usageSettings(),
      keys.usageEvents(),
      keys.pools(),
      laneOf('emails', SHARED_POOL),
      laneOf('emails', 'premium'),
      keys.poolBullKey('emails', SHARED_POOL, 'wait'),
      keys.poolBullKey('emails', 'premium', 'wait'),
      keys.poolBullKey('emails', 'premium', 'marker'),
    ]);
    expect((fromLua as string[]).slice(-5)).toEqual(['emails', 'emails@premium', '{pfx}:q:emails:wait', '{pfx}:q:emails:wait:premium', '{pfx}:q:emails:marker:premium']);
  });

  it('uses one default dispatch window in Lua and TypeScript', () => {
    const lua = readFileSync('src/dispatcher/lua/includes/slots.lua', 'utf8');
    expect(lua).toContain(`local DEFAULT_WINDOW = ${DEFAULT_DISPATCH_WINDOW}`);
  });

  it("keeps the Python SDK's exact layout with the default prefix", async () => {
    // A database of its own: the default prefix is shared by nothing else in the tests.
    const url = `${redisUrl()}/13`;
    const db = new Redis(url);
    await db.flushdb();
    const manager = new TenantManager({ backendUrl: url });
    const app = new Turbine({ backendUrl: url });
    try {
      await manager.createTenant({ tenantId: 'acme-corp', name: 'ACME', quotas: { maxTasksPerHour: 1000 } });
      const task = await app.task({ name: 'send_email', queue: 'emails' }, async () => 1).applyAsync({ args: [], tenantId: 'acme-corp' });
      const keys = (await db.keys('turbine:tenant:acme-corp*')).sort();
      expect(keys).toEqual(
        expect.arrayContaining([
          'turbine:tenant:acme-corp',
          'turbine:tenant:acme-corp:usage:tasks_hour',
          'turbine:tenant:acme-corp:usage:tasks_day',
          'turbine:tenant:acme-corp:usage:total',
        ]),
      );
      expect(await db.type('turbine:tenant:acme-corp')).toBe('hash');
      expect(await db.get('turbine:tenant:acme-corp:usage:tasks_hour')).toBe('1');
      expect(await db.exists(`turbine:q:emails:${jobIdOf('acme-corp', task.taskId)}`)).toBe(1);
    } finally {
      await app.close();
      await manager.close();
      await db.flushdb();
      await db.quit();
    }
  });
});
