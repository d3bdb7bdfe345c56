import type { AuditEntry } from '../../tenancy/audit.js';
import { NUMERIC_QUOTA_NAMES, QUOTA_WIRE_NAMES, type TenantQuotas } from '../../tenancy/quotas.js';
import type { Tenant } from '../../tenancy/tenant.js';
import type { TenantStats } from '../../tenancy/stats.js';
import { totalRejected, type UsageRow } from '../../tenancy/usage.js';
import { html, type Html } from '../html.js';
import { layout, time, type PageContext } from '../layout.js';
import type { TenantDetail } from '../reads.js';
import { actionForm } from './actions.js';
import { failuresTable } from './dead-letters.js';
import { limit } from './tenants.js';

interface QuotaLine {
  label: string;
  limit: number | null | undefined;
  used: number | null;
  resetsAt: Date | null;
}

function quotaLines(quotas: TenantQuotas, stats: TenantStats): QuotaLine[] {
  return [
    { label: 'Tasks per hour', limit: quotas.maxTasksPerHour, used: stats.tasksHour, resetsAt: stats.hourResetsAt },
    { label: 'Tasks per day', limit: quotas.maxTasksPerDay, used: stats.tasksDay, resetsAt: stats.dayResetsAt },
    { label: 'Running at once', limit: quotas.maxConcurrentTasks, used: stats.concurrentTasks, resetsAt: null },
    { label: 'Queue length (not started)', limit: quotas.maxQueueLength, used: stats.pendingTasks, resetsAt: null },
    { label: 'Task size (bytes)', limit: quotas.maxTaskSizeBytes, used: null, resetsAt: null },
    { label: 'Result size (bytes)', limit: quotas.maxResultSizeBytes, used: null, resetsAt: null },
    { label: 'Retries per task', limit: quotas.maxRetryCount, used: null, resetsAt: null },
  ];
}

/** A tenant's page: its quotas and how much of them is used, what it holds, what failed, who changed what. */
export function tenantPage(ctx: PageContext, detail: TenantDetail): Html {
  const { tenant, stats } = detail.row;
  const id = tenant.tenantId;
  const body = html`<h1>Tenant ${id} <span class="muted">${tenant.name}</span></h1>
<p data-live="state">${tenant.enabled ? html`<span class="ok">Enabled</span>` : html`<span class="bad">Disabled</span>: submissions are refused and queued tasks are held.`}
· worker pool ${tenant.pool}${detail.shards > 1 ? ` · shard ${detail.row.shard} (of ${detail.shards}, numbered from 0)` : ''} · ${stats.totalTasks} tasks accepted in all · created ${time(tenant.createdAt)}</p>
${ctx.viewer.canAct ? actions(ctx, tenant) : ''}
<h2 id="quotas">Quotas</h2>
<table aria-labelledby="quotas">
<thead><tr><th scope="col">Quota</th><th scope="col" class="num">Used</th><th scope="col" class="num">Limit</th><th scope="col">Usage</th><th scope="col">Resets</th></tr></thead>
<tbody data-live="quotas">${quotaLines(tenant.quotas, stats).map(quotaRow)}
<tr><th scope="row">Allowed queues</th><td></td><td class="num">${tenant.quotas.allowedQueues?.join(', ') ?? 'any'}</td><td></td><td></td></tr>
</tbody>
</table>
<h2 id="held">Held tasks</h2>
<div data-live="held">${heldSection(ctx, detail, tenant, stats)}</div>
<h2 id="failures">Recent failures</h2>
<div data-live="failures">${failuresTable(ctx, detail.failures, 'Newest dead letters of this tenant')}</div>
<h2 id="usage">Usage by hour</h2>
<div data-live="usage">${usageTable(detail.usage)}</div>
<h2 id="audit">Audit trail</h2>
<div data-live="audit">${auditTable(detail.audit)}</div>`;
  return layout(ctx, `Tenant ${id}`, '/', body);
}

function quotaRow(line: QuotaLine): Html {
  const limited = line.limit !== null && line.limit !== undefined;
  const bar =
    limited && line.used !== null
      ? html`<meter min="0" max="${Math.max(line.limit!, 1)}" value="${Math.min(line.used, line.limit!)}" high="${Math.ceil(line.limit! * 0.8)}" aria-label="${line.label}: ${line.used} of ${line.limit}"></meter>`
      : '';
  return html`<tr><th scope="row">${line.label}</th><td class="num">${line.used ?? '—'}</td><td class="num">${limit(line.limit)}</td><td>${bar}</td><td>${line.resetsAt ? time(line.resetsAt) : ''}</td></tr>`;
}

/** Why the tenant's tasks wait: the first of these that applies holds all of them. */
function heldReason(tenant: Tenant, stats: TenantStats): string {
  if (!tenant.enabled) return 'the tenant is disabled';
  const cap = tenant.quotas.maxConcurrentTasks;
  if (cap !== null && cap !== undefined && stats.concurrentTasks >= cap) return `the tenant runs ${stats.concurrentTasks} of its cap of ${cap}`;
  if (stats.rateLimitedUntil) return "the tenant's rate limit allows no start yet (max_tasks_per_second, max_tasks_per_minute)";
  return "the queue's dispatch window is full (fair sharing with other tenants)";
}

function heldSection(ctx: PageContext, detail: TenantDetail, tenant: Tenant, stats: TenantStats): Html {
  if (stats.heldTasks === 0) return html`<p class="muted">None held.</p>`;
  const id = tenant.tenantId;
  // Cancel buttons only for an operator who may act; each names its task for screen readers.
  const cancel = (task: { queue: string; taskId: string }): Html | string =>
    ctx.viewer.canAct ? html`<td>${actionForm(ctx, 'cancel', { tenant: id, queue: task.queue, task: task.taskId }, `Cancel ${task.taskId}`)}</td>` : '';
  return html`<p>${stats.heldTasks} held because ${heldReason(tenant, stats)}. Oldest first${detail.held.length < stats.heldTasks ? html`, the first ${detail.held.length} shown` : ''}:</p>
<table><thead><tr><th scope="col">Queue</th><th scope="col">Task id</th>${ctx.viewer.canAct ? html`<th scope="col">Action</th>` : ''}</tr></thead>
<tbody>${detail.held.map((task) => html`<tr data-held-task="${task.taskId}"><td>${task.queue}</td><td><code>${task.taskId}</code></td>${cancel(task)}</tr>`)}</tbody></table>`;
}

const USAGE_COLUMNS: readonly [header: string, field: string, value: (row: UsageRow) => number | string][] = [
  ['Accepted', 'accepted', (r) => r.accepted],
  ['Rejected', 'rejected', totalRejected],
  ['Started', 'started', (r) => r.started],
  ['Succeeded', 'succeeded', (r) => r.succeeded],
  ['Failed', 'failed', (r) => r.failed],
  ['Dead-lettered', 'dead_lettered', (r) => r.deadLettered],
  ['Handler s', 'handler_seconds', (r) => r.handlerSeconds.toFixed(3)],
  ['Payload bytes', 'payload_bytes', (r) => r.payloadBytes],
  ['Result bytes', 'result_bytes', (r) => r.resultBytes],
];

/** The metered usage of the last 24 hours, newest hour first (what `turbine usage` prints). */
function usageTable(rows: readonly UsageRow[]): Html {
  if (rows.length === 0) return html`<p class="muted">No usage in the last 24 hours.</p>`;
  return html`<table aria-labelledby="usage"><thead><tr><th scope="col">Hour (UTC)</th>${USAGE_COLUMNS.map(([header]) => html`<th scope="col" class="num">${header}</th>`)}</tr></thead>
<tbody>${[...rows].reverse().map(
    (row) =>
      html`<tr data-usage-hour="${row.periodStart.toISOString()}"><th scope="row">${row.periodStart.toISOString().slice(0, 16).replace('T', ' ')}</th>${USAGE_COLUMNS.map(([, field, value]) => html`<td class="num" data-field="${field}">${value(row)}</td>`)}</tr>`,
  )}</tbody></table>`;
}

function auditTable(entries: AuditEntry[]): Html {
  if (entries.length === 0) return html`<p class="muted">No entries.</p>`;
  return html`<table><thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Changes</th></tr></thead>
<tbody>${entries.map((e) => html`<tr data-audit-action="${e.action}"><td>${time(e.time)}</td><td>${e.actor}</td><td>${e.action}</td><td><code>${JSON.stringify(e.changes)}</code></td></tr>`)}</tbody></table>`;
}

function actions(ctx: PageContext, tenant: Tenant): Html {
  const id = tenant.tenantId;
  return html`<section aria-labelledby="actions"><h2 id="actions">Actions</h2>
${actionForm(ctx, tenant.enabled ? 'disable' : 'enable', { tenant: id }, tenant.enabled ? 'Disable tenant' : 'Enable tenant', tenant.enabled)}
${actionForm(ctx, 'drain', { tenant: id }, 'Drain tenant', true)}
<form class="row" method="post" action="${ctx.base}/actions/quota">
<input type="hidden" name="tenant" value="${id}"><input type="hidden" name="back" value="${ctx.path}">
<label>Quota <select name="quota">${NUMERIC_QUOTA_NAMES.map((name) => html`<option value="${name}">${QUOTA_WIRE_NAMES[name]}</option>`)}</select></label>
<label>New limit <input name="value" inputmode="numeric" pattern="[0-9]*" aria-describedby="limit-help"></label>
<span id="limit-help" class="muted">Empty for unlimited.</span>
<button type="submit">Change quota…</button>
</form></section>`;
}
