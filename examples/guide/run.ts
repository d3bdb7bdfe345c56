// Runs the examples of this folder one after another against a Redis and prints what each
// does: `npx tsx examples/guide/run.ts` after `npm run build` (TURBINE_BACKEND_URL, else
// redis://localhost:6379). Everything it writes is under a key prefix of its own, deleted at
// the end, so it leaves a shared Redis as it found it.
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { TenantManager, Turbine, startWorker } from 'turbine-tasks';
import { createAcmeCorp } from './create-tenant.js';
import { hourlyQuotaLooksAvailable, submitGracefully } from './graceful-degradation.js';
import { deleteTenant, raiseQuotas, setEnabled } from './manage-tenants.js';
import { hourlyQuotaAlert } from './monitoring.js';
import { defineQuickStartTasks, sendWelcomeEmail, submitWithTenantOverride } from './quick-start.js';
import { TIER_QUOTAS } from './quota-tiers.js';
import { createSaasApp } from './saas-tiers.js';
import { usageReport } from './usage-stats.js';

const prefix = process.env.TURBINE_PREFIX ?? `examples-${randomUUID().slice(0, 8)}`;
const app = new Turbine({ prefix });
const manager = new TenantManager({ prefix });
const show = (title: string, value: unknown): void => console.log(`${title}:`, value);

try {
  const acme = await createAcmeCorp(manager);
  show('create-tenant', { tenantId: acme.tenantId, maxTasksPerHour: acme.quotas.maxTasksPerHour });

  const { sendTenantEmail, processData } = defineQuickStartTasks(app);
  const saas = createSaasApp(app, manager);
  const worker = await startWorker({ app, concurrency: 5, health: { port: 0, host: '127.0.0.1' }, log: { level: 'silent' }, metrics: { enabled: false } });
  try {
    show('quick-start', await (await submitWithTenantOverride(processData)).get({ timeoutMs: 10_000 }));
    show('quick-start (pinned tenant)', await (await sendWelcomeEmail(sendTenantEmail)).get({ timeoutMs: 10_000 }));

    await saas.createCustomer('free-customer', 'Free Customer', 'free');
    const answer = await saas.submitTask('free-customer', { hello: 'world' });
    show('saas-tiers', answer);
    show('graceful-degradation', {
      looksAvailable: await hourlyQuotaLooksAvailable(manager, 'free-customer'),
      answer: await submitGracefully(saas.apiTask, 'free-customer', { again: true }),
    });
  } finally {
    await worker.close();
  }

  show('usage-stats', await usageReport(manager, 'acme-corp'));
  show('monitoring', (await hourlyQuotaAlert(manager, 'acme-corp', 0)) ?? 'no alert');
  show('quota-tiers', TIER_QUOTAS.free);
  await raiseQuotas(manager, 'acme-corp');
  await setEnabled(manager, 'acme-corp', false);
  show('manage-tenants', { enabled: (await manager.requireTenant('acme-corp')).enabled });
  show('manage-tenants (delete)', await deleteTenant(manager, 'acme-corp'));
} finally {
  // The examples run on one Redis (not a cluster), whose keys one SCAN walks.
  const client = (await manager.client()) as Redis;
  for await (const keys of client.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length) await client.unlink(...keys);
  }
  await app.close();
  await manager.close();
}
