// Guide: Migration → "Migrating to Multi-Tenancy".
import type { TenantManager, Turbine } from 'turbine-tasks';

/** Step 1: `turbine tenant create default "Default Tenant"`. */
export function createDefaultTenant(manager: TenantManager) {
  return manager.createTenant({ tenantId: 'default', name: 'Default Tenant' });
}

/**
 * Step 2, before: a task with no tenant. Its submissions already land in `default`, the last
 * step of tenant resolution (after the submission's, the task's, the app's and
 * TURBINE_TENANT_ID), so existing code keeps working unchanged.
 */
export function defineSendEmail(app: Turbine) {
  return app.task({ name: 'send_email', queue: 'emails' }, async (to: string) => `sent to ${to}`);
}

/**
 * Step 2, after, as the Python SDK's docs write it. Unlike the Python SDK, Turbine refuses to submit a
 * pinned task for another tenant, so leave tasks unpinned (as above) if step 3 routes them
 * to new customers' tenants.
 */
export function definePinnedSendEmail(app: Turbine) {
  return app.task({ name: 'send_email', queue: 'emails', tenantId: 'default' }, async (to: string) => `sent to ${to}`);
}

/** Step 3: new customers get their own tenant; existing callers pass none. */
export function sendEmailFor(sendEmail: ReturnType<typeof defineSendEmail>, to: string, customerId?: string) {
  return sendEmail.applyAsync({ args: [to], tenantId: customerId });
}
