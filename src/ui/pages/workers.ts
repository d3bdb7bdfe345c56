import { html, type Html } from '../html.js';
import { layout, time, type PageContext } from '../layout.js';
import type { QueueView, WorkerLease } from '../reads.js';

/**
 * The Workers page, from what workers publish in Redis: each announces its concurrency per
 * queue and renews it every reconciler pass, so an expired lease means a worker gone quiet.
 */
export function workersPage(ctx: PageContext, queues: QueueView[]): Html {
  const byWorker = new Map<string, WorkerLease[]>();
  for (const lease of queues.flatMap((q) => q.workers)) {
    byWorker.set(lease.workerId, [...(byWorker.get(lease.workerId) ?? []), lease]);
  }
  const now = Date.now();
  const rows = [...byWorker.entries()].sort(([a], [b]) => a.localeCompare(b));
  const body = html`<h1>Workers</h1>
<table><caption>Workers that announced capacity; the lease is renewed every few seconds while a worker runs</caption>
<thead><tr><th scope="col">Worker id</th><th scope="col">Host</th><th scope="col" class="num">PID</th><th scope="col">Queues</th><th scope="col" class="num">Concurrency</th><th scope="col">Lease until</th></tr></thead>
<tbody data-live="workers">${rows.length === 0 ? html`<tr><td colspan="6" class="muted">No worker has announced itself.</td></tr>` : ''}
${rows.map(([id, leases]) => {
  const latest = new Date(Math.max(...leases.map((l) => l.expiresAt.getTime())));
  return html`<tr><th scope="row"><code>${id}</code></th><td>${leases[0]!.host}</td><td class="num">${leases[0]!.pid}</td>
<td>${leases.map((l) => l.queue).join(', ')}</td><td class="num">${leases[0]!.concurrency}</td>
<td>${time(latest)}${latest.getTime() < now ? html` <span class="bad">expired</span>` : ''}</td></tr>`;
})}</tbody></table>`;
  return layout(ctx, 'Workers', '/workers', body);
}
