import type { DeadLetterEntry } from '../../dlq/entry.js';
import { html, type Html } from '../html.js';
import { layout, time, type PageContext } from '../layout.js';
import { actionForm } from './actions.js';

export interface DeadLetterFilterView {
  tenant: string;
  queue: string;
  reason: string;
  task: string;
  /** Entries read (newest first) before the reason and task filters, which have no index. */
  scanned: number;
  total: number;
}

/** The Dead letters page: filter, then inspect, replay or purge. */
export function deadLettersPage(ctx: PageContext, entries: DeadLetterEntry[], filter: DeadLetterFilterView): Html {
  const field = (name: 'tenant' | 'queue' | 'reason' | 'task', label: string): Html =>
    html`<label>${label} <input name="${name}" value="${filter[name]}"></label>`;
  const body = html`<h1>Dead letters</h1>
<form class="row" method="get" action="${ctx.base}/dead-letters" role="search" aria-label="Filter dead letters">
${field('tenant', 'Tenant')}${field('queue', 'Queue')}${field('task', 'Task')}${field('reason', 'Reason')}
<button type="submit">Filter</button> <a href="${ctx.base}/dead-letters">Clear</a>
</form>
<div data-live="dead-letters">
<p>${filter.total} entries match${filter.tenant || filter.queue ? ' the tenant and queue' : ''}${filter.reason || filter.task ? html`; of the newest ${filter.scanned}, ${entries.length} match the task and reason` : ''}.</p>
${failuresTable(ctx, entries, 'Dead letters, newest first')}
</div>
${ctx.viewer.canAct && filter.tenant ? purgeForm(ctx, filter) : ''}
${ctx.viewer.canAct && !filter.tenant ? html`<p class="muted">Filter by a tenant to purge its dead letters.</p>` : ''}`;
  return layout(ctx, 'Dead letters', '/dead-letters', body);
}

function purgeForm(ctx: PageContext, filter: DeadLetterFilterView): Html {
  const fields: Record<string, string> = { tenant: filter.tenant };
  if (filter.queue) fields.queue = filter.queue;
  return html`<p>${actionForm(ctx, 'purge', fields, `Purge the dead letters of ${filter.tenant}${filter.queue ? ` in ${filter.queue}` : ''}`, true)}</p>`;
}

export function failuresTable(ctx: PageContext, entries: DeadLetterEntry[], caption: string): Html {
  if (entries.length === 0) return html`<p class="muted">No dead letters.</p>`;
  return html`<table><caption>${caption}</caption>
<thead><tr><th scope="col">Entry</th><th scope="col">Tenant</th><th scope="col">Task</th><th scope="col">Reason</th><th scope="col">Error</th><th scope="col" class="num">Attempts</th><th scope="col">Dead since</th></tr></thead>
<tbody>${entries.map(
    (e) => html`<tr><td><a href="${ctx.base}/dead-letters/entry?id=${encodeURIComponent(e.entryId)}">${e.entryId}</a></td><td>${e.tenantId ?? '—'}</td><td>${e.task}</td>
<td>${e.reason}</td><td>${e.error.slice(0, 120)}</td><td class="num">${e.attempts}</td><td>${time(e.deadAt)}</td></tr>`,
  )}</tbody></table>`;
}

/** One entry: everything stored about it, and its replay. */
export function deadLetterPage(ctx: PageContext, entry: DeadLetterEntry): Html {
  const body = html`<h1>Dead letter ${entry.entryId}</h1>
<dl class="fields">
<dt>Tenant</dt><dd>${entry.tenantId ?? '—'}</dd><dt>Queue</dt><dd>${entry.queue}</dd><dt>Task</dt><dd>${entry.task}</dd>
<dt>Task id</dt><dd><code>${entry.taskId}</code></dd><dt>Reason</dt><dd>${entry.reason}</dd><dt>Attempts</dt><dd>${entry.attempts}</dd>
<dt>Submitted</dt><dd>${time(entry.submittedAt)}</dd><dt>Dead since</dt><dd>${time(entry.deadAt)}</dd>
</dl>
<h2>Error</h2><pre>${entry.error}</pre>
${entry.stack ? html`<details><summary>Stack</summary><pre>${entry.stack}</pre></details>` : ''}
<h2>Arguments</h2><pre>${entry.args === null ? entry.data : JSON.stringify(entry.args, null, 2)}</pre>
<h2>Job options</h2><pre>${JSON.stringify(entry.jobOptions, null, 2)}</pre>
${ctx.viewer.canAct ? html`<p>${actionForm(ctx, 'replay', { entry: entry.entryId }, 'Replay this task')}</p>` : ''}`;
  return layout(ctx, `Dead letter ${entry.entryId}`, '/dead-letters', body);
}
