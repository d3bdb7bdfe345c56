import type { TenantManager } from '../tenancy/manager.js';
import type { TenantQuotas } from '../tenancy/quotas.js';
import type { Turbine } from '../tasks/app.js';
import type { TaskDefinition } from '../tasks/task.js';

/** The demo's tenants: a capped one (hold-back shows), a free tier (quotas bite), an unlimited one. */
export const DEMO_TENANTS: { tenantId: string; name: string; quotas: TenantQuotas; share: number }[] = [
  {
    tenantId: 'acme-corp',
    name: 'ACME Corporation',
    quotas: { maxConcurrentTasks: 3, maxTasksPerHour: 20_000, allowedQueues: ['emails', 'processing'] },
    share: 0.5,
  },
  { tenantId: 'globex', name: 'Globex (free tier)', quotas: { maxConcurrentTasks: 2, maxTasksPerHour: 300 }, share: 0.2 },
  { tenantId: 'initech', name: 'Initech (enterprise, no limits)', quotas: {}, share: 0.3 },
];

/** Creates the demo tenants that do not exist yet; existing ones are left as they are. */
export async function ensureDemoTenants(manager: TenantManager): Promise<string[]> {
  const created: string[] = [];
  for (const t of DEMO_TENANTS) {
    if (await manager.getTenant(t.tenantId)) continue;
    await manager.createTenant({ tenantId: t.tenantId, name: t.name, quotas: t.quotas, metadata: { demo: true } });
    created.push(t.tenantId);
  }
  return created;
}

/**
 * Submits demo traffic at about `ratePerSecond`, split between the tenants by their share, one
 * report for every nine emails. Refusals (quotas) are expected and counted by the caller.
 */
export function startTraffic(app: Turbine, ratePerSecond: number): { stop: () => Promise<void> } {
  const email = app.tasks.get('send_email') as TaskDefinition | undefined;
  const report = app.tasks.get('render_report') as TaskDefinition | undefined;
  if (!email || !report) throw new Error('The demo app defines send_email and render_report');
  const tickMs = 100;
  let carry = 0;
  let n = 0;
  let inFlight: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    carry += (ratePerSecond * tickMs) / 1000;
    const count = Math.floor(carry);
    carry -= count;
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      n += 1;
      const tenant = pickTenant();
      const submission =
        n % 10 === 0
          ? report.applyAsync({ args: [`report-${n}`], tenantId: tenant })
          : email.applyAsync({ args: [`user${n}@${tenant}.example`, `Hello #${n}`], tenantId: tenant });
      batch.push(submission.catch(() => undefined));
    }
    inFlight = Promise.all(batch);
  }, tickMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await inFlight;
    },
  };
}

function pickTenant(): string {
  let r = Math.random();
  for (const t of DEMO_TENANTS) {
    if ((r -= t.share) <= 0) return t.tenantId;
  }
  return DEMO_TENANTS[0]!.tenantId;
}
