import { html, type Html } from '../html.js';
import { layout, time, type PageContext } from '../layout.js';
import type { QueueView } from '../reads.js';

const COUNTS = ['wait', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

/** The Queues page: each queue's BullMQ lists, its depth by tenant and the workers serving it. */
export function queuesPage(ctx: PageContext, queues: QueueView[]): Html {
  const body = html`<h1>Queues</h1>
<div data-live="queues">
${queues.length === 0 ? html`<p class="muted">No queue has had a task yet.</p>` : ''}
${queues.map((q) => queueSection(ctx, q))}
</div>`;
  return layout(ctx, 'Queues', '/queues', body);
}

function queueSection(ctx: PageContext, q: QueueView): Html {
  const id = `queue-${q.queue}`;
  const capacity = q.workers.reduce((sum, w) => sum + w.concurrency, 0);
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${q.queue}</h2>
<table><caption>BullMQ lists</caption><thead><tr>${COUNTS.map((c) => html`<th scope="col" class="num">${c}</th>`)}</tr></thead>
<tbody><tr>${COUNTS.map((c) => html`<td class="num" data-count="${c}">${q.counts[c] ?? 0}</td>`)}</tr></tbody></table>
<table><caption>Depth by tenant (tenants with tasks here)</caption>
<thead><tr><th scope="col">Tenant</th><th scope="col" class="num">Held</th><th scope="col" class="num">Waiting</th><th scope="col" class="num">Running</th></tr></thead>
<tbody>${q.byTenant.length === 0 ? html`<tr><td colspan="4" class="muted">Empty.</td></tr>` : ''}
${q.byTenant.map((d) => html`<tr><th scope="row"><a href="${ctx.base}/tenants/${encodeURIComponent(d.tenantId)}">${d.tenantId}</a></th><td class="num">${d.held}</td><td class="num">${d.waiting}</td><td class="num">${d.running}</td></tr>`)}</tbody></table>
<p>${q.workers.length} workers, concurrency ${capacity} in all${q.connections === null ? '' : ` (${q.connections} BullMQ connections)`}:
${q.workers.map((w, i) => html`${i ? ', ' : ''}<code>${w.workerId}</code> ×${w.concurrency} (lease until ${time(w.expiresAt)})`)}</p>
</section>`;
}
