import { html, type Html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

/** Sign-in: the console's token, and a name that the audit trail records as `ui:<name>`. */
export function signInPage(ctx: PageContext, back: string, error: string | null): Html {
  const body = html`<h1>Sign in</h1>
${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
<form class="row" method="post" action="${ctx.base}/sign-in">
<input type="hidden" name="back" value="${back}">
<label>Your name, for the audit trail <input name="name" required maxlength="64" autocomplete="username"></label>
<label>Console token <input name="token" type="password" required autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
<p class="muted">The token is the <code>TURBINE_UI_TOKEN</code> the console was started with.</p>`;
  return layout(ctx, 'Sign in', '', body);
}
