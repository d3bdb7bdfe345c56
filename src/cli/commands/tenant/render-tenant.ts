import { QUOTA_NAMES, QUOTA_WIRE_NAMES, type TenantQuotas } from '../../../tenancy/quotas.js';
import type { Tenant } from '../../../tenancy/tenant.js';
import { renderFields, renderSection, renderTable, showBoolean, showValue, type Column } from '../../output.js';

/** A quota for people: unset is `unlimited`, a list is comma-separated. */
export function showQuota(value: TenantQuotas[keyof TenantQuotas]): string {
  if (value === null || value === undefined) return 'unlimited';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '(no queue allowed)';
  return String(value);
}

/** Quotas whose unset value is a default, not a missing limit. */
const UNSET_DEFAULTS = {
  weight: '1',
  rateBurst: "one second's worth",
  rateLimitMode: 'throttle',
} as const satisfies Partial<Record<keyof TenantQuotas, string>>;

/** Every field of a tenant, every quota included (`unlimited` when unset). */
export function renderTenant(tenant: Tenant): string {
  const metadata = Object.entries(tenant.metadata);
  return [
    renderFields([
      ['Tenant ID', tenant.tenantId],
      ['Name', tenant.name],
      ['Enabled', showBoolean(tenant.enabled)],
      ['Pool', tenant.pool],
      ['Created', tenant.createdAt.toISOString()],
      ['Updated', tenant.updatedAt.toISOString()],
    ]),
    renderSection(
      'Quotas',
      renderFields(
        QUOTA_NAMES.map((name) => [
          QUOTA_WIRE_NAMES[name],
          tenant.quotas[name] == null && name in UNSET_DEFAULTS ? UNSET_DEFAULTS[name as keyof typeof UNSET_DEFAULTS] : showQuota(tenant.quotas[name]),
        ]),
      ),
    ),
    renderSection(
      'Metadata',
      metadata.length ? renderFields(metadata.map(([key, value]) => [key, showValue(value)])) : '(none)',
    ),
  ].join('\n\n');
}

const LIST_COLUMNS: readonly Column<Tenant>[] = [
  { header: 'Tenant ID', value: (t) => t.tenantId },
  { header: 'Name', value: (t) => t.name },
  { header: 'Enabled', value: (t) => showBoolean(t.enabled) },
  { header: 'Pool', value: (t) => t.pool },
  { header: 'Max/hour', value: (t) => showQuota(t.quotas.maxTasksPerHour), align: 'right' },
  { header: 'Max/day', value: (t) => showQuota(t.quotas.maxTasksPerDay), align: 'right' },
  { header: 'Max concurrent', value: (t) => showQuota(t.quotas.maxConcurrentTasks), align: 'right' },
  { header: 'Max queue', value: (t) => showQuota(t.quotas.maxQueueLength), align: 'right' },
];

/** One line per tenant with the quotas people compare most. */
export function renderTenantList(tenants: readonly Tenant[]): string {
  return renderTable(tenants, LIST_COLUMNS);
}
