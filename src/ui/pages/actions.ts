import { html, type Html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

/** A button that starts an action; the action is only done after the confirmation page. */
export function actionForm(ctx: PageContext, action: string, fields: Record<string, string>, label: string, danger = false): Html {
  return html`<form class="inline" method="post" action="${ctx.base}/actions/${action}">
${hidden({ ...fields, back: ctx.path })}<button type="submit"${danger ? html` class="danger"` : ''}>${label}…</button>
</form>`;
}

/** Asks before doing: what will happen, a Confirm button (focused) and a way back. */
export function confirmPage(ctx: PageContext, action: string, fields: Record<string, string>, what: string, back: string): Html {
  const body = html`<h1>Confirm</h1>
<form method="post" action="${ctx.base}/actions/${action}" aria-describedby="what">
<p id="what">${what}</p>
${hidden({ ...fields, back, confirmed: 'yes' })}
<button type="submit" autofocus>Confirm</button> <a href="${ctx.base}${back}">Cancel</a>
</form>`;
  return layout(ctx, 'Confirm', '', body);
}

/** A page for a refused request: what was wrong and how to go on. */
export function problemPage(ctx: PageContext, title: string, message: string, back: string): Html {
  const body = html`<h1>${title}</h1><p class="notice error" role="alert">${message}</p><p><a href="${ctx.base}${back}">Back</a></p>`;
  return layout(ctx, title, '', body);
}

function hidden(fields: Record<string, string>): Html {
  return html`${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}
