// Runs every example of the multi-tenancy guide that submits tasks (examples/guide/), against a
// real Redis. The Python SDK's Django and FastAPI request examples are examples/http-service,
// exercised by http.test.ts.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIdOf } from '../../src/core/task-ids.js';
import { ACME_QUOTAS, createAcmeCorp } from '../../examples/guide/create-tenant.js';
import { hourlyQuotaLooksAvailable, submitGracefully } from '../../examples/guide/graceful-degradation.js';
import { deleteTenant, raiseQuotas, setEnabled } from '../../examples/guide/manage-tenants.js';
import { createDefaultTenant, definePinnedSendEmail, defineSendEmail, sendEmailFor } from '../../examples/guide/migration.js';
import { hourlyQuotaAlert } from '../../examples/guide/monitoring.js';
import {
  TENANTS,
  createEnvironmentApp,
  defineBackgroundJob,
  tenantForEnvironment,
} from '../../examples/guide/multi-environment.js';
import { defineQuickStartTasks, sendWelcomeEmail, submitWithTenantOverride } from '../../examples/guide/quick-start.js';
import { TIER_QUOTAS } from '../../examples/guide/quota-tiers.js';
import { createSaasApp, type SubmitTaskAnswer } from '../../examples/guide/saas-tiers.js';
import { usageReport } from '../../examples/guide/usage-stats.js';
import {
  QueueNotAllowedError,
  TaskTooLargeError,
  TenantDisabledError,
  TenantMismatchError,
  TenantNotFoundError,
} from '../../src/core/errors.js';
import { closeDefaultApp, getDefaultApp } from '../../src/tasks/default-app.js';
import type { AsyncResult } from '../../src/tasks/result.js';
import { Turbine } from '../../src/tasks/app.js';
import type { TenantManager } from '../../src/tenancy/manager.js';
import type { TenantQuotas } from '../../src/tenancy/quotas.js';
import { tenantToJson } from '../../src/tenancy/tenant.js';
import { startWorker } from '../../src/worker/start.js';
import { redisUrl } from '../helpers/context.js';
import { TestWorld } from '../helpers/worker.js';

let world: TestWorld;
let raw: Redis;
let prefix: string;
let app: Turbine;
let manager: TenantManager;

beforeEach(() => {
  world = new TestWorld();
  ({ raw, prefix, app, manager } = world);
});

afterEach(() => world.close());

const tenant = (tenantId: string, quotas: TenantQuotas = {}) => world.tenant(tenantId, quotas);

async function runWorker(on: Turbine = app): Promise<void> {
  const worker = await startWorker({
    app: on,
    concurrency: 5,
    health: { port: 0, host: '127.0.0.1' },
    log: { level: 'silent' },
    metrics: { enabled: false },
  });
  world.defer(() => worker.close({ force: true }));
  await worker.ready();
}

/** The task's result once it has finished (waiting on BullMQ's events, not polling). */
function finished<R>(result: AsyncResult<R>): Promise<R> {
  return result.get({ timeoutMs: 15_000 });
}

/** Sets environment variables for one test, restoring them afterwards. */
function withEnv(values: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (from: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(from)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  world.defer(async () => apply(saved));
}

describe('Quick Start', () => {
  it('runs a task pinned to acme-corp and one submitted with a tenant override', async () => {
    const { sendTenantEmail, processData } = defineQuickStartTasks(app);
    await tenant('acme-corp');
    await runWorker();
    const email = await sendWelcomeEmail(sendTenantEmail);
    const processed = await submitWithTenantOverride(processData);
    expect([email.tenantId, processed.tenantId]).toEqual(['acme-corp', 'acme-corp']);
    expect(await finished(email)).toEqual({ to: 'user@example.com', subject: 'Welcome', tenant: 'acme-corp' });
    expect(await finished(processed)).toEqual({ data: { key: 'value' }, tenant: 'acme-corp' });
    await expect(sendTenantEmail.applyAsync({ args: ['a', 'b'], tenantId: 'globex' })).rejects.toThrow(TenantMismatchError);
  });

  it('defines the tasks on the default app, configured from the environment, like the module-level task()', async () => {
    withEnv({ TURBINE_BACKEND_URL: redisUrl(), TURBINE_PREFIX: prefix, TURBINE_TENANT_ID: undefined });
    world.defer(() => closeDefaultApp());
    await tenant('acme-corp');
    const { processData } = defineQuickStartTasks();
    expect(processData.app).toBe(getDefaultApp());
    const result = await submitWithTenantOverride(processData);
    const stored = JSON.parse((await raw.hget(`${prefix}:q:processing:${jobIdOf(result.tenantId, result.taskId)}`, 'data')) ?? '{}') as unknown;
    expect(stored).toEqual({ tenant_id: 'acme-corp', args: [{ key: 'value' }] });
  });
});

describe('Creating Tenants with Quotas', () => {
  it('creates acme-corp with the eight quotas and metadata, which admission then applies', async () => {
    const created = await createAcmeCorp(manager);
    const stored = await manager.requireTenant('acme-corp');
    expect(tenantToJson(stored)).toEqual({ ...tenantToJson(created), created_at: expect.any(String), updated_at: expect.any(String) });
    expect(stored).toMatchObject({ name: 'ACME Corporation', quotas: ACME_QUOTAS, metadata: { plan: 'enterprise' } });
    const { processData } = defineQuickStartTasks(app);
    await expect(submitWithTenantOverride(processData)).resolves.toMatchObject({ placement: 'queued' });
    const report = app.task({ name: 'report', queue: 'reports' }, async () => 1);
    await expect(report.applyAsync({ args: [], tenantId: 'acme-corp' })).rejects.toThrow(QueueNotAllowedError);
  });
});

describe('Usage Tracking', () => {
  it('reports the four counters and the advisory check_quota', async () => {
    await tenant('acme-corp', { maxTasksPerHour: 3 });
    const { processData } = defineQuickStartTasks(app);
    await submitWithTenantOverride(processData);
    await submitWithTenantOverride(processData);
    expect(await usageReport(manager, 'acme-corp')).toEqual({
      stats: { tasks_hour: 2, tasks_day: 2, concurrent_tasks: 0, total_tasks: 2 },
      allowed: true,
      error: null,
    });
    await submitWithTenantOverride(processData);
    const spent = await usageReport(manager, 'acme-corp');
    expect(spent.allowed).toBe(false);
    expect(spent.error).toMatch(/^Hourly task quota exceeded \(3\); resets in/);
  });
});

describe('Tenant Management and Troubleshooting', () => {
  it('raises a spent quota, keeping the other quotas, and disables and enables a tenant', async () => {
    await tenant('acme-corp', { maxTasksPerHour: 1, maxQueueLength: 500 });
    const { processData } = defineQuickStartTasks(app);
    await submitWithTenantOverride(processData);
    await expect(submitWithTenantOverride(processData)).rejects.toThrow(/^Hourly task quota exceeded \(1\)/);
    const raised = await raiseQuotas(manager, 'acme-corp');
    expect(raised.quotas).toEqual({ maxTasksPerHour: 2000, maxConcurrentTasks: 100, maxQueueLength: 500 });
    await expect(submitWithTenantOverride(processData)).resolves.toBeDefined();
    await setEnabled(manager, 'acme-corp', false);
    await expect(submitWithTenantOverride(processData)).rejects.toThrow(TenantDisabledError);
    await setEnabled(manager, 'acme-corp', true);
    await expect(submitWithTenantOverride(processData)).resolves.toBeDefined();
  });

  it('deletes a tenant but keeps its task results', async () => {
    const { processData } = defineQuickStartTasks(app);
    await tenant('acme-corp');
    await runWorker();
    const result = await submitWithTenantOverride(processData);
    await finished(result);
    expect(await deleteTenant(manager, 'acme-corp')).toBe(true);
    expect(await manager.getTenant('acme-corp')).toBeNull();
    expect(await app.result(result.taskId, { tenantId: 'acme-corp', queue: 'processing' }).get()).toEqual({
      data: { key: 'value' },
      tenant: 'acme-corp',
    });
    await expect(submitWithTenantOverride(processData)).rejects.toThrow(TenantNotFoundError);
  });
});

describe('Best Practices', () => {
  it('quota planning: free limits size and concurrency, pro allows more, enterprise has no limits', async () => {
    for (const tier of ['free', 'pro', 'enterprise'] as const) await tenant(tier, TIER_QUOTAS[tier]);
    const upload = app.task({ name: 'upload', queue: 'uploads' }, async (blob: string) => blob.length);
    const big: [string] = ['x'.repeat(102_400)];
    await expect(upload.applyAsync({ args: big, tenantId: 'free' })).rejects.toThrow(TaskTooLargeError);
    await expect(upload.applyAsync({ args: big, tenantId: 'pro' })).resolves.toBeDefined();
    const small = Array.from({ length: 3 }, () => ({ args: ['x'] as [string], tenantId: 'free' }));
    const placements = (await upload.applyBulk(small)).map((r) => (r.ok ? r.result.placement : r.error.code));
    expect(placements).toEqual(['queued', 'queued', 'held']);
    expect(Object.values(tenantToJson(await manager.requireTenant('enterprise')).quotas).every((q) => q === null)).toBe(true);
  });

  it('monitoring: alerts above 80% of the hourly quota', async () => {
    await tenant('acme-corp', { maxTasksPerHour: 10 });
    await tenant('unlimited');
    const { processData } = defineQuickStartTasks(app);
    const batch = (n: number, tenantId: string) =>
      processData.applyBulk(Array.from({ length: n }, () => ({ args: [{ k: 'v' }] as [Record<string, string>], tenantId })));
    await batch(8, 'acme-corp');
    expect(await hourlyQuotaAlert(manager, 'acme-corp')).toBeNull();
    await batch(1, 'acme-corp');
    expect(await hourlyQuotaAlert(manager, 'acme-corp')).toBe('Tenant acme-corp at 90% hourly quota');
    await batch(20, 'unlimited');
    expect(await hourlyQuotaAlert(manager, 'unlimited')).toBeNull();
  });

  it('graceful degradation: a spent quota becomes { error, code: QUOTA_EXCEEDED }; other errors still throw', async () => {
    await tenant('acme-corp', { maxTasksPerHour: 2 });
    const { processData } = defineQuickStartTasks(app);
    const submit = () => submitGracefully(processData, 'acme-corp', { key: 'value' });
    expect(await submit()).toEqual({ task_id: expect.any(String) });
    expect(await submit()).toEqual({ task_id: expect.any(String) });
    expect(await submit()).toEqual({ error: expect.stringMatching(/^Hourly task quota exceeded \(2\)/), code: 'QUOTA_EXCEEDED' });
    await expect(submitGracefully(processData, 'nobody', {})).rejects.toThrow(TenantNotFoundError);
  });

  it('graceful degradation: check_quota is advisory, the submission is what enforces', async () => {
    await tenant('acme-corp', { maxTasksPerHour: 1 });
    const { processData } = defineQuickStartTasks(app);
    expect(await hourlyQuotaLooksAvailable(manager, 'acme-corp')).toBe(true);
    // Another producer takes the last slot between the check and the submission.
    const other = new Turbine({ backendUrl: redisUrl(), prefix });
    world.defer(() => other.close());
    await other.task({ name: 'process_data', queue: 'processing' }, async () => 1).applyAsync({ args: [], tenantId: 'acme-corp' });
    expect(await submitGracefully(processData, 'acme-corp', {})).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await hourlyQuotaLooksAvailable(manager, 'acme-corp')).toBe(false);
  });
});

describe('Examples', () => {
  it('SaaS tiers: a free customer gets exactly 100 tasks an hour, each counted once; enterprise has no limit', async () => {
    const saas = createSaasApp(app, manager);
    expect((await saas.createCustomer('free-co', 'Free Co', 'free')).metadata).toEqual({ tier: 'free' });
    await saas.createCustomer('big-co', 'Big Co', 'enterprise');
    const answers: SubmitTaskAnswer[] = [];
    for (let i = 0; i < 101; i++) answers.push(await saas.submitTask('free-co', { i }));
    expect(answers.filter((a) => a.status === 'submitted')).toHaveLength(100);
    expect(answers[100]).toEqual({ status: 'quota_exceeded', error: expect.stringMatching(/^Hourly task quota exceeded \(100\)/) });
    expect(await usageReport(manager, 'free-co')).toMatchObject({ stats: { tasks_hour: 100, tasks_day: 100, total_tasks: 100 } });
    const big = await Promise.all(Array.from({ length: 150 }, (_, i) => saas.submitTask('big-co', { i })));
    expect(big.every((a) => a.status === 'submitted')).toBe(true);
    await runWorker();
    const last = big[149]!;
    const taskId = last.status === 'submitted' ? last.task_id : '';
    expect(await finished(app.result(taskId, { tenantId: 'big-co', queue: 'api-tasks' }))).toEqual({ received: 1 });
  });

  it('multi-environment: each environment submits to its own tenant', async () => {
    withEnv({ ENV: 'staging' });
    expect(tenantForEnvironment()).toBe('my-app-staging');
    expect(() => tenantForEnvironment('qa')).toThrow(/Unknown ENV 'qa': expected one of dev, staging, prod/);
    expect(() => tenantForEnvironment('toString')).toThrow(/Unknown ENV/);
    for (const id of Object.values(TENANTS)) await tenant(id);
    const job = defineBackgroundJob(app);
    expect((await job.applyAsync({ args: [] })).tenantId).toBe('my-app-staging');
    const prodApp = createEnvironmentApp({ backendUrl: redisUrl(), prefix }, { TENANT_ID: 'my-app-prod' });
    const defaultApp = createEnvironmentApp({ backendUrl: redisUrl(), prefix }, {});
    world.defer(() => prodApp.close());
    world.defer(() => defaultApp.close());
    expect([prodApp.tenantId, defaultApp.tenantId]).toEqual(['my-app-prod', 'default']);
    const prodJob = defineBackgroundJob(prodApp, 'prod');
    expect((await prodJob.applyAsync({ args: [] })).tenantId).toBe('my-app-prod');
  });

  it('migration: tasks without a tenant land in default; new customers get their own', async () => {
    withEnv({ TURBINE_TENANT_ID: undefined });
    await createDefaultTenant(manager);
    await tenant('new-customer');
    const sendEmail = defineSendEmail(app);
    expect((await sendEmailFor(sendEmail, 'old@example.com')).tenantId).toBe('default');
    expect((await sendEmailFor(sendEmail, 'new@example.com', 'new-customer')).tenantId).toBe('new-customer');
    const pinnedApp = new Turbine({ backendUrl: redisUrl(), prefix });
    world.defer(() => pinnedApp.close());
    const pinned = definePinnedSendEmail(pinnedApp);
    expect((await pinned.applyAsync({ args: ['old@example.com'] })).tenantId).toBe('default');
    await expect(sendEmailFor(pinned, 'new@example.com', 'new-customer')).rejects.toThrow(TenantMismatchError);
    await runWorker();
    const legacy = await sendEmailFor(sendEmail, 'legacy@example.com');
    expect(await finished(legacy)).toBe('sent to legacy@example.com');
    expect((await manager.getTenantStats('default')).totalTasks).toBe(3);
  });
});
