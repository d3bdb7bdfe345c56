import { html, type Html } from '../html.js';
import { sparklinePoints } from '../history.js';
import { layout, sortHeader, time, type PageContext } from '../layout.js';
import type { Overview, TenantRow } from '../reads.js';

type Key = 'tenant' | 'enabled' | 'running' | 'held' | 'waiting' | 'delayed' | 'hour' | 'dlq';

const SORTS: Record<Key, (row: TenantRow) => number | string> = {
  tenant: (row) => row.tenant.tenantId,
  enabled: (row) => (row.tenant.enabled ? 1 : 0),
  running: (row) => row.stats.concurrentTasks,
  held: (row) => row.stats.heldTasks,
  waiting: (row) => row.stats.waitingTasks,
  delayed: (row) => row.stats.deferredTasks,
  hour: (row) => row.stats.tasksHour,
  dlq: (row) => row.deadLetters,
};

export function parseSort(query: URLSearchParams): { key: Key; desc: boolean } {
  const key = query.get('sort');
  return { key: key && key in SORTS ? (key as Key) : 'tenant', desc: query.get('order') === 'desc' };
}

/** The Tenants page: one row per tenant with what it runs, holds and is allowed. */
export function tenantsPage(
  ctx: PageContext,
  overview: Overview,
  sort: { key: Key; desc: boolean },
  perMinute: (tenantId: string) => number[],
): Html {
  const value = SORTS[sort.key];
  const rows = [...overview.tenants].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return (sort.desc ? -order : order) || a.tenant.tenantId.localeCompare(b.tenant.tenantId);
  });
  const header = (label: string, key: Key, numeric = true): Html => sortHeader(ctx, label, key, sort, numeric);
  const body = html`<h1>Tenants</h1>
<table>
<caption>Read <span data-live="read-at">${time(overview.readAt)}</span>. Select a column header to sort.</caption>
<thead><tr>
${header('Tenant', 'tenant', false)}${header('Enabled', 'enabled', false)}${header('Running / cap', 'running')}
${header('Held', 'held')}${header('Waiting', 'waiting')}${header('Delayed', 'delayed')}${header('This hour / quota', 'hour')}
${header('Dead letters', 'dlq')}<th scope="col">Accepted per minute</th>
</tr></thead>
<tbody data-live="tenants">
${rows.length === 0 ? html`<tr><td colspan="9" class="muted">No tenants yet: create one with <code>turbine tenant create</code>.</td></tr>` : ''}
${rows.map((row) => tenantRow(ctx, row, perMinute(row.tenant.tenantId)))}
</tbody>
</table>`;
  return layout(ctx, 'Tenants', '/', body);
}

function tenantRow(ctx: PageContext, { tenant, stats, deadLetters }: TenantRow, perMinute: number[]): Html {
  const id = tenant.tenantId;
  return html`<tr data-tenant="${id}">
<th scope="row"><a href="${ctx.base}/tenants/${encodeURIComponent(id)}">${id}</a> <span class="muted">${tenant.name === id ? '' : tenant.name}</span></th>
<td data-field="enabled">${tenant.enabled ? html`<span class="ok">yes</span>` : html`<span class="bad">no</span>`}</td>
<td class="num" data-field="running">${stats.concurrentTasks} / ${limit(tenant.quotas.maxConcurrentTasks)}</td>
<td class="num" data-field="held">${stats.heldTasks}</td>
<td class="num" data-field="waiting">${stats.waitingTasks}</td>
<td class="num" data-field="delayed">${stats.deferredTasks}</td>
<td class="num" data-field="hour">${stats.tasksHour} / ${limit(tenant.quotas.maxTasksPerHour)}</td>
<td class="num" data-field="dlq">${deadLetters > 0 ? html`<a href="${ctx.base}/dead-letters?tenant=${encodeURIComponent(id)}">${deadLetters}</a>` : '0'}</td>
<td>${sparkline(perMinute)}</td>
</tr>`;
}

export function limit(value: number | null | undefined): string {
  return value === null || value === undefined ? '∞' : String(value);
}

function sparkline(values: number[]): Html {
  if (values.length < 2) return html`<span class="muted">collecting…</span>`;
  const label = `Last ${values.length} minutes: ${values.join(', ')}`;
  return html`<svg class="spark" width="80" height="18" role="img" aria-label="${label}"><title>${label}</title><polyline points="${sparklinePoints(values)}"/></svg>`;
}
