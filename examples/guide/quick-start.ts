// Guide: Quick Start → "Defining Tenant-Specific Tasks".
import { getDefaultApp, type TaskContext, type Turbine } from 'turbine-tasks';

/**
 * Defines the quick start's two tasks. Without an app they go on the default app, like the
 * Python SDK's module-level `@task` (configured by TURBINE_BACKEND_URL and TURBINE_TENANT_ID).
 */
export function defineQuickStartTasks(app: Turbine = getDefaultApp()) {
  // Always runs for acme-corp: submitting it for another tenant is refused.
  const sendTenantEmail = app.task(
    { name: 'send_tenant_email', queue: 'emails', tenantId: 'acme-corp' },
    async (to: string, subject: string, ctx: TaskContext) => ({ to, subject, tenant: ctx.tenantId }),
  );
  // Takes its tenant at submission.
  const processData = app.task(
    { name: 'process_data', queue: 'processing' },
    async (data: Record<string, string>, ctx: TaskContext) => ({ data, tenant: ctx.tenantId }),
  );
  return { sendTenantEmail, processData };
}

type QuickStartTasks = ReturnType<typeof defineQuickStartTasks>;

/** `process_data.apply_async(args=[{"key": "value"}], tenant_id="acme-corp")`. */
export function submitWithTenantOverride(processData: QuickStartTasks['processData']) {
  return processData.applyAsync({ args: [{ key: 'value' }], tenantId: 'acme-corp' });
}

/** The fixed-tenant task needs no tenant at submission. */
export function sendWelcomeEmail(sendTenantEmail: QuickStartTasks['sendTenantEmail']) {
  return sendTenantEmail.applyAsync({ args: ['user@example.com', 'Welcome'] });
}
