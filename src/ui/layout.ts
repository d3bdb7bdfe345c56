import type { Viewer } from './auth.js';
import { html, type Html } from './html.js';

export interface PageContext {
  /** Where the console is mounted ('' at the root), prefixed to every link. */
  base: string;
  viewer: Viewer;
  /** Whether a token is configured at all (else the console is read-only for everyone). */
  tokenEnabled: boolean;
  refreshMs: number;
  /** The page's URL below `base`, to come back to after an action. */
  path: string;
  notice: string | null;
}

const SECTIONS = [
  ['/', 'Tenants'],
  ['/queues', 'Queues'],
  ['/dead-letters', 'Dead letters'],
  ['/workers', 'Workers'],
] as const;

/** The page around a view: navigation, who is signed in, the notice of the last action. */
export function layout(ctx: PageContext, title: string, section: string, body: Html): Html {
  const link = (href: string, label: string): Html =>
    html`<li><a href="${ctx.base}${href}"${href === section ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Turbine</title>
<link rel="stylesheet" href="${ctx.base}/assets/console.css">
</head>
<body data-refresh-ms="${ctx.refreshMs}">
<header>
<span class="brand">Turbine</span>
<nav aria-label="Sections"><ul>${SECTIONS.map(([href, label]) => link(href, label))}</ul></nav>
<span class="who">${who(ctx)}</span>
</header>
<main id="main">
${ctx.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ''}
${body}
<p class="muted" id="live-status" role="status" aria-live="polite">Updates every ${ctx.refreshMs >= 1000 ? `${Math.round(ctx.refreshMs / 1000)} s` : `${ctx.refreshMs} ms`}.</p>
</main>
<script src="${ctx.base}/assets/console.js" defer></script>
</body>
</html>`;
}

function who(ctx: PageContext): Html {
  if (!ctx.tokenEnabled) return html`Read-only (no TURBINE_UI_TOKEN set)`;
  if (ctx.viewer.canAct) {
    return html`Signed in as ${ctx.viewer.actor}
<form class="inline" method="post" action="${ctx.base}/sign-out"><button type="submit">Sign out</button></form>`;
  }
  return html`Read-only · <a href="${ctx.base}/sign-in?back=${encodeURIComponent(ctx.path)}">Sign in to make changes</a>`;
}

/** `<time>` with the ISO value for machines and a short UTC form for people. */
export function time(date: Date | null): Html {
  if (!date) return html`<span class="muted">—</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

/** A table header cell that sorts by its column: a link, announced with aria-sort. */
export function sortHeader(ctx: PageContext, label: string, key: string, sort: { key: string; desc: boolean }, numeric: boolean): Html {
  const active = sort.key === key;
  const desc = active ? !sort.desc : numeric;
  const state = active ? (sort.desc ? 'descending' : 'ascending') : 'none';
  return html`<th scope="col" aria-sort="${state}"${numeric ? html` class="num"` : ''}><a href="${ctx.base}/?sort=${key}&amp;order=${desc ? 'desc' : 'asc'}">${label}${active ? (sort.desc ? ' ▼' : ' ▲') : ''}</a></th>`;
}
