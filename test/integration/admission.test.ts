import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  QueueFullError,
  QueueNotAllowedError,
  QuotaExceededError,
  TaskTooLargeError,
  TenantDisabledError,
  TenantMismatchError,
  TenantNotFoundError,
} from '../../src/core/errors.js';
import { jobIdOf } from '../../src/core/task-ids.js';
import { Turbine } from '../../src/tasks/app.js';
import type { TaskDefinition } from '../../src/tasks/task.js';
import type { TaskContext } from '../../src/tasks/types.js';
import type { TenantManager } from '../../src/tenancy/manager.js';
import type { TenantQuotas } from '../../src/tenancy/quotas.js';
import { pollUntil, redisUrl } from '../helpers/context.js';
import { TestWorld } from '../helpers/worker.js';

let world: TestWorld;
let raw: Redis;
let prefix: string;
let app: Turbine;
let manager: TenantManager;
let sendEmail: TaskDefinition<[string, string], string>;

beforeEach(() => {
  world = new TestWorld();
  ({ raw, prefix, app, manager } = world);
  sendEmail = app.task({ name: 'send_email', queue: 'emails' }, async (to: string, subject: string, _ctx: TaskContext) => `${to}:${subject}`);
});

afterEach(() => world.close());

const tenant = (quotas: TenantQuotas = {}, tenantId = 'acme') => world.tenant(tenantId, quotas);

/**
 * Every key under the test prefix with its type and content, to prove a refusal wrote nothing;
 * usage metering's counts of refusals aside (test/integration/usage-metering.test.ts).
 */
async function snapshot(): Promise<string> {
  const keys = (await raw.keys(`${prefix}:*`)).filter((key) => !key.includes(':usage-hour:')).sort();
  const parts: string[] = [];
  for (const key of keys) parts.push(`${key}=${(await raw.dumpBuffer(key))?.toString('base64')}`);
  return parts.join('\n');
}

async function expectRefusedWithoutWrites(submit: () => Promise<unknown>, error: new (...a: never[]) => Error, message?: RegExp) {
  const before = await snapshot();
  const attempt = submit();
  await expect(attempt).rejects.toThrow(error);
  if (message) await expect(attempt).rejects.toThrow(message);
  expect(await snapshot()).toBe(before);
}

describe('admission: each rule accepted at the limit, refused one past it', () => {
  it('refuses an unknown tenant', async () => {
    await expectRefusedWithoutWrites(() => sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme-corp' }), TenantNotFoundError, /^Tenant 'acme-corp' not found; see 'turbine tenant list'/);
  });

  it('refuses a disabled tenant and accepts again once enabled', async () => {
    await tenant();
    await manager.updateTenant('acme', { enabled: false });
    await expectRefusedWithoutWrites(() => sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' }), TenantDisabledError, /is disabled/);
    await manager.updateTenant('acme', { enabled: true });
    await expect(sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' })).resolves.toMatchObject({ placement: 'queued' });
  });

  it('refuses a queue outside allowed_queues', async () => {
    await tenant({ allowedQueues: ['default', 'processing'] });
    await expectRefusedWithoutWrites(
      () => sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' }),
      QueueNotAllowedError,
      /Queue 'emails' is not allowed for tenant 'acme' \(allowed_queues: default, processing\)/,
    );
    await manager.updateTenant('acme', { quotas: { allowedQueues: ['emails'] } });
    await expect(sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' })).resolves.toBeDefined();
  });

  it('limits the size of the serialized arguments', async () => {
    const args: [string, string] = ['x'.repeat(10), 'y'];
    const size = Buffer.byteLength(JSON.stringify(args));
    await tenant({ maxTaskSizeBytes: size });
    await expect(sendEmail.applyAsync({ args, tenantId: 'acme' })).resolves.toBeDefined();
    await expectRefusedWithoutWrites(
      () => sendEmail.applyAsync({ args: ['x'.repeat(11), 'y'], tenantId: 'acme' }),
      TaskTooLargeError,
      new RegExp(`${size + 1} bytes > max_task_size_bytes ${size}`),
    );
  });

  it('enforces the hourly quota with the Python SDK message and the reset time, and resets with the window', async () => {
    await tenant({ maxTasksPerHour: 3 });
    for (let i = 0; i < 3; i++) await sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' });
    const refused = sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' });
    await expect(refused).rejects.toThrow(/^Hourly task quota exceeded \(3\); resets in (59m|1h)/);
    const error = (await refused.catch((e: unknown) => e)) as QuotaExceededError;
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error.window).toBe('hour');
    expect(error.retryAfterSeconds).toBeGreaterThan(3500);
    // The window ends when the counter expires.
    await raw.pexpire(`${prefix}:tenant:acme:usage:tasks_hour`, 1);
    await pollUntil(() => raw.exists(`${prefix}:tenant:acme:usage:tasks_hour`), (n) => n === 0, { what: 'hour window end' });
    await expect(sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' })).resolves.toBeDefined();
  });

  it('enforces the daily quota', async () => {
    await tenant({ maxTasksPerDay: 2 });
    await sendEmail.applyBulk([{ args: ['a', 'b'], tenantId: 'acme' }, { args: ['a', 'b'], tenantId: 'acme' }]);
    await expectRefusedWithoutWrites(
      () => sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' }),
      QuotaExceededError,
      /^Daily task quota exceeded \(2\); resets in/,
    );
  });

  it('limits pending tasks, held ones included', async () => {
    await tenant({ maxQueueLength: 3, maxConcurrentTasks: 1 });
    const placements = [];
    for (let i = 0; i < 3; i++) placements.push((await sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' })).placement);
    expect(placements).toEqual(['queued', 'held', 'held']);
    await expectRefusedWithoutWrites(
      () => sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme' }),
      QueueFullError,
      /^Queue length quota exceeded \(3\)/,
    );
  });
});

describe('admission: counting and placement', () => {
  it('counts in the Python SDK keys: tasks_hour (1 h), tasks_day (24 h), total', async () => {
    await tenant();
    await sendEmail.applyBulk(Array.from({ length: 5 }, () => ({ args: ['a', 'b'] as [string, string], tenantId: 'acme' })));
    const base = `${prefix}:tenant:acme:usage`;
    expect(await raw.mget(`${base}:tasks_hour`, `${base}:tasks_day`, `${base}:total`)).toEqual(['5', '5', '5']);
    expect(await raw.pttl(`${base}:tasks_hour`)).toBeGreaterThan(3_500_000);
    expect(await raw.pttl(`${base}:tasks_day`)).toBeGreaterThan(86_000_000);
    expect(await raw.pttl(`${base}:total`)).toBe(-1);
  });

  it('stores a BullMQ job carrying the tenant id and the arguments', async () => {
    await tenant();
    const result = await sendEmail.applyAsync({ args: ['user@example.com', 'Hello'], tenantId: 'acme' });
    const job = await raw.hgetall(`${prefix}:q:emails:${jobIdOf('acme', result.taskId)}`);
    expect(job.name).toBe('send_email');
    expect(JSON.parse(job.data!)).toEqual({ tenant_id: 'acme', args: ['user@example.com', 'Hello'] });
    expect(JSON.parse(job.opts!)).toMatchObject({ attempts: 4 });
    expect(await raw.lrange(`${prefix}:q:emails:wait`, 0, -1)).toEqual([jobIdOf('acme', result.taskId)]);
    expect(await result.status()).toBe('waiting');
  });

  it('holds back tasks beyond max_concurrent_tasks, in order, and reports them held', async () => {
    await tenant({ maxConcurrentTasks: 2 });
    const results = await sendEmail.applyBulk(Array.from({ length: 5 }, () => ({ args: ['a', 'b'] as [string, string], tenantId: 'acme' })));
    const placements = results.map((r) => (r.ok ? r.result.placement : 'refused'));
    expect(placements).toEqual(['queued', 'queued', 'held', 'held', 'held']);
    const heldIds = results.slice(2).map((r) => (r.ok ? jobIdOf('acme', r.result.taskId) : ''));
    expect(await raw.lrange(`${prefix}:tenant:acme:held:emails`, 0, -1)).toEqual(heldIds);
    expect(await (results[2]!.ok ? results[2]!.result.status() : null)).toBe('held');
    const stats = await manager.getTenantStats('acme');
    expect(stats).toMatchObject({ heldTasks: 3, waitingTasks: 2, pendingTasks: 5 });
  });

  it('holds back beyond the dispatch window even without a cap', async () => {
    await tenant();
    await raw.hset(`${prefix}:dispatch:window`, 'emails', 3);
    const results = await sendEmail.applyBulk(Array.from({ length: 5 }, () => ({ args: ['a', 'b'] as [string, string], tenantId: 'acme' })));
    expect(results.map((r) => (r.ok ? r.result.placement : '?'))).toEqual(['queued', 'queued', 'queued', 'held', 'held']);
  });

  it('defers a delayed submission to BullMQ delayed set', async () => {
    await tenant();
    const result = await sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme', delayMs: 60_000 });
    expect(result.placement).toBe('deferred');
    expect(await result.status()).toBe('deferred');
    expect((await manager.getTenantStats('acme')).deferredTasks).toBe(1);
  });

  it('treats a repeated task id as the same task and counts it once', async () => {
    await tenant();
    const first = await sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme', taskId: 'order-42' });
    const second = await sendEmail.applyAsync({ args: ['c', 'd'], tenantId: 'acme', taskId: 'order-42' });
    expect([first.taskId, first.placement, second.taskId, second.placement]).toEqual(['order-42', 'queued', 'order-42', 'duplicate']);
    expect(await manager.getUsage('acme', 'total')).toBe(1);
  });
});

describe('admission: concurrency and bulk', () => {
  it('accepts exactly max_tasks_per_hour with 20 producers racing 500 submissions each', async () => {
    await tenant({ maxTasksPerHour: 1000 });
    const producers = Array.from({ length: 20 }, () => new Turbine({ backendUrl: redisUrl(), prefix }));
    const definitions = producers.map((p) => p.task({ name: 'send_email', queue: 'emails' }, async () => 1));
    const counts = await Promise.all(
      definitions.map(async (definition) => {
        let accepted = 0;
        for (let batch = 0; batch < 10; batch++) {
          const results = await Promise.all(
            Array.from({ length: 50 }, () =>
              definition.applyAsync({ args: [], tenantId: 'acme' }).then(
                () => 1,
                (error: unknown) => {
                  if (!(error instanceof QuotaExceededError)) throw error;
                  return 0;
                },
              ),
            ),
          );
          accepted += results.reduce<number>((a, b) => a + b, 0);
        }
        return accepted;
      }),
    );
    await Promise.all(producers.map((p) => p.close()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(await manager.getUsage('acme', 'tasks_hour')).toBe(1000);
  });

  it('admits each task of a bulk on its own rules and says which were refused and why', async () => {
    await tenant({ maxTasksPerHour: 2 }, 'small');
    await tenant({}, 'big');
    const results = await sendEmail.applyBulk([
      { args: ['1', 'x'], tenantId: 'small' },
      { args: ['2', 'x'], tenantId: 'big' },
      { args: ['3', 'x'], tenantId: 'small' },
      { args: ['4', 'x'], tenantId: 'small' },
      { args: ['5', 'x'], tenantId: 'nobody' },
    ]);
    expect(results.map((r) => (r.ok ? r.result.tenantId : r.error.name))).toEqual([
      'small',
      'big',
      'small',
      'QuotaExceededError',
      'TenantNotFoundError',
    ]);
  });

  it('validates input before anything is sent', async () => {
    await tenant();
    await expect(sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'bad id' })).rejects.toThrow(/Invalid tenant id/);
    await expect(sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme', priority: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme', delayMs: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme', taskId: 'a:b' })).rejects.toThrow(InvalidArgumentError);
    for (const taskId of ['wait', 'meta', 'events', 'id']) {
      await expect(sendEmail.applyAsync({ args: ['a', 'b'], tenantId: 'acme', taskId })).rejects.toThrow(/queue's own keys/);
    }
    await expect(sendEmail.applyAsync({ args: 'nope' as never, tenantId: 'acme' })).rejects.toThrow(InvalidArgumentError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(sendEmail.applyAsync({ args: [1n, 'b'] as never, tenantId: 'acme' })).rejects.toThrow(/JSON-serializable.*BigInt/);
    await expect(sendEmail.applyAsync({ args: [circular, 'b'] as never, tenantId: 'acme' })).rejects.toThrow(InvalidArgumentError);
    expect(await raw.exists(`${prefix}:q:emails:id`)).toBe(0);
  });
});

describe('tenant resolution', () => {
  it('uses applyAsync, then the task, then the app, then TURBINE_TENANT_ID, then default', async () => {
    for (const id of ['explicit', 'fixed', 'app-tenant', 'env-tenant', 'default']) await tenant({}, id);
    const bound = new Turbine({ backendUrl: redisUrl(), prefix, tenantId: 'app-tenant' });
    const free = bound.task({ name: 'free' }, async () => 1);
    const fixed = bound.task({ name: 'fixed', tenantId: 'fixed' }, async () => 1);
    const unbound = app.task({ name: 'unbound' }, async () => 1);
    try {
      expect((await free.applyAsync({ args: [], tenantId: 'explicit' })).tenantId).toBe('explicit');
      expect((await fixed.applyAsync({ args: [] })).tenantId).toBe('fixed');
      expect((await free.applyAsync({ args: [] })).tenantId).toBe('app-tenant');
      process.env.TURBINE_TENANT_ID = 'env-tenant';
      expect((await unbound.applyAsync({ args: [] })).tenantId).toBe('env-tenant');
      delete process.env.TURBINE_TENANT_ID;
      expect((await unbound.applyAsync({ args: [] })).tenantId).toBe('default');
      await expect(fixed.applyAsync({ args: [], tenantId: 'explicit' })).rejects.toThrow(TenantMismatchError);
    } finally {
      delete process.env.TURBINE_TENANT_ID;
      await bound.close();
    }
  });

  it('refuses a second task with the same name', () => {
    expect(() => app.task({ name: 'send_email' }, async () => 1)).toThrow(/already defined/);
    expect(() => app.task({}, async () => 1)).toThrow(/explicit name/);
  });
});
