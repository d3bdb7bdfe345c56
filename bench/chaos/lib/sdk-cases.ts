import type { DeadLetterQueue, TaskDefinition, TenantManager, TenantQuotas } from '../../../src/index.js';
import { Turbine } from '../../../src/index.js';
import { EXISTING_TENANT } from './cli-cases.js';
import { QUOTA_KEYS, badName, badQuotaValue, badTaskName, int, pick, validName, type Random } from './fuzz.js';

/** Tenants the SDK cases are refused by (created before the keyspace is dumped). */
export const REFUSING_TENANTS = {
  limited: { tenantId: 'fuzz-limited', quotas: { allowedQueues: ['elsewhere'] } },
  small: { tenantId: 'fuzz-small', quotas: { maxTaskSizeBytes: 64 } },
  disabled: { tenantId: 'fuzz-disabled', quotas: {}, enabled: false },
} satisfies Record<string, { tenantId: string; quotas: TenantQuotas; enabled?: boolean }>;

export interface SdkWorld {
  app: Turbine;
  manager: TenantManager;
  dlq: DeadLetterQueue;
  record: TaskDefinition<[string, number], string>;
}

/** A call that must fail with a typed error (a TurbineError) and change nothing. */
export interface SdkCase {
  what: string;
  call: (w: SdkWorld) => unknown;
}

const circular = (): unknown[] => {
  const a: unknown[] = [];
  a.push(a);
  return a;
};

/** Options Turbine must refuse, by name, for `applyAsync`. */
function badApplyOption(random: Random): [string, unknown] {
  switch (int(random, 0, 2)) {
    case 0:
      return ['priority', pick<unknown>(random, [0, -1, 1.5, 2 ** 21 + 1, Number.NaN, '1'])];
    case 1:
      return ['delayMs', pick<unknown>(random, [-1, 1.5, Number.NaN, '10', 2 ** 41])];
    default:
      return ['taskId', pick<unknown>(random, ['', '123', 'a:b', 'wait', 'x'.repeat(129), 'has space', 'é', 7])];
  }
}

const GENERATORS: ((random: Random) => SdkCase)[] = [
  (r) => {
    const id = badName(r);
    return { what: `createTenant(${JSON.stringify(id)})`, call: (w) => w.manager.createTenant({ tenantId: id, name: 'x' }) };
  },
  (r) => {
    const name = pick<unknown>(r, ['', '   ', 'n'.repeat(201), 5, null]);
    return { what: `createTenant(name ${JSON.stringify(name)})`, call: (w) => w.manager.createTenant({ tenantId: `fresh-${validName(r)}`, name: name as string }) };
  },
  (r) => {
    const quotas = { [pick(r, QUOTA_KEYS)]: badQuotaValue(r) };
    return { what: `createTenant(quotas ${JSON.stringify(quotas)})`, call: (w) => w.manager.createTenant({ tenantId: `fresh-${validName(r)}`, name: 'x', quotas: quotas as TenantQuotas }) };
  },
  (r) => {
    const quotas = pick<unknown>(r, [{ bogus_quota: 1 }, { allowedQueues: 'a' }, { allowedQueues: [1] }, { allowedQueues: [badName(r)] }, 'not an object', [1]]);
    return { what: `createTenant(quotas ${JSON.stringify(quotas)})`, call: (w) => w.manager.createTenant({ tenantId: `fresh-${validName(r)}`, name: 'x', quotas: quotas as TenantQuotas }) };
  },
  (r) => {
    const change = pick<unknown>(r, [{ quotas: { [pick(r, QUOTA_KEYS)]: badQuotaValue(r) } }, { enabled: 'yes' }, { name: '' }, { quotas: { nope: 1 } }]);
    return { what: `updateTenant(existing, ${JSON.stringify(change)})`, call: (w) => w.manager.updateTenant(EXISTING_TENANT, change as object) };
  },
  (r) => {
    const id = badName(r);
    const method = pick(r, ['getTenant', 'getTenantStats', 'deleteTenant', 'getAuditLog', 'requireTenant', 'updateTenant'] as const);
    return { what: `${method}(${JSON.stringify(id)})`, call: (w) => (method === 'updateTenant' ? w.manager.updateTenant(id, { name: 'x' }) : w.manager[method](id)) };
  },
  (r) => {
    const [metric, amount] = pick<[string, number]>(r, [['bogus', 1], ['total', 1.5], ['tasks_hour', Number.NaN]]);
    return { what: `incrementUsage(existing, ${metric}, ${amount})`, call: (w) => w.manager.incrementUsage(EXISTING_TENANT, metric as 'total', amount) };
  },
  (r) => {
    const args = pick<unknown>(r, [undefined, null, {}, 'x', 5]);
    return { what: `applyAsync(args ${JSON.stringify(args)})`, call: (w) => w.record.applyAsync({ args: args as [string, number], tenantId: EXISTING_TENANT }) };
  },
  (r) => {
    const id = badName(r);
    return { what: `applyAsync(tenantId ${JSON.stringify(id)})`, call: (w) => w.record.applyAsync({ args: ['x', 1], tenantId: id }) };
  },
  (r) => {
    const [name, value] = badApplyOption(r);
    return { what: `applyAsync(${name} ${JSON.stringify(value)})`, call: (w) => w.record.applyAsync({ args: ['x', 1], tenantId: EXISTING_TENANT, [name]: value }) };
  },
  (r) => {
    const kind = pick(r, ['bigint', 'circular'] as const);
    const arg = kind === 'bigint' ? BigInt(int(r, 1, 1000)) : circular();
    return { what: `applyAsync(args with a ${kind})`, call: (w) => w.record.applyAsync({ args: [arg as unknown as string, 1], tenantId: EXISTING_TENANT }) };
  },
  (r) => {
    const which = pick(r, ['missing', 'limited', 'small', 'disabled'] as const);
    const tenantId = which === 'missing' ? `missing-${validName(r)}` : REFUSING_TENANTS[which].tenantId;
    const payload = which === 'small' ? 'p'.repeat(int(r, 65, 500)) : 'x';
    return { what: `applyAsync(refused: ${which})`, call: (w) => w.record.applyAsync({ args: [payload, 1], tenantId }) };
  },
  (r) => {
    const [name, value] = badApplyOption(r);
    return {
      what: `applyBulk(a good item and one with ${name} ${JSON.stringify(value)})`,
      call: (w) => w.record.applyBulk([{ args: ['ok', 1], tenantId: EXISTING_TENANT }, { args: ['bad', 1], tenantId: EXISTING_TENANT, [name]: value }]),
    };
  },
  (r) => {
    const options = pick<Record<string, unknown>>(r, [
      { name: badTaskName(r) },
      { name: 'ok', queue: badName(r) || ' ' },
      { name: 'ok', retries: pick(r, [-1, 1.5, 1001]) },
      { name: 'ok', timeoutMs: pick(r, [0, -5, 1.5]) },
      { name: 'ok', backoff: pick<unknown>(r, [{ type: 'linear', delayMs: 1 }, -1, { type: 'fixed', delayMs: -1 }, { type: 'exponential', delayMs: 10, jitter: 2 }]) },
      { name: 'ok', tenantId: badName(r) },
    ]);
    // A fresh app each time: defining a task writes nothing, but must still refuse bad options.
    return { what: `task(${JSON.stringify(options)})`, call: () => new Turbine({ backendUrl: 'redis://127.0.0.1:1' }).task(options, async () => null) };
  },
  (r) => {
    const id = badName(r);
    return { what: `new Turbine({ tenantId: ${JSON.stringify(id)} })`, call: () => new Turbine({ tenantId: id, backendUrl: 'redis://127.0.0.1:1' }) };
  },
  (r) => {
    const call = pick<[string, (w: SdkWorld) => unknown]>(r, [
      ['dlq.get(no-colon)', (w) => w.dlq.get('no-colon')],
      ['dlq.list({ limit: 0 })', (w) => w.dlq.list({ limit: 0 })],
      ['dlq.list({ limit: 1.5 })', (w) => w.dlq.list({ limit: 1.5 })],
      ['dlq.list({ offset: -1 })', (w) => w.dlq.list({ offset: -1 })],
      ['dlq.list({ tenantId: bad })', (w) => w.dlq.list({ tenantId: badName(r) || '.' })],
      ['dlq.purge({ olderThanMs: -1 })', (w) => w.dlq.purge({ olderThanMs: -1 })],
      ['dlq.replay(:1)', (w) => w.dlq.replay(':1')],
    ]);
    return { what: call[0], call: call[1] };
  },
];

export function sdkCase(random: Random): SdkCase {
  return pick(random, GENERATORS)(random);
}
