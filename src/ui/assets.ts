/**
 * The console's stylesheet and script, served from the console itself (no CDN, no build step).
 * The script only refreshes the live regions; every page works without it.
 */

export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #59636e; --bg: #fff; --line: #d1d9e0; --accent: #0550ae; --bad: #b42318; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #30363d; --accent: #58a6ff; --bad: #f85149; --ok: #3fb950; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; }
nav ul { display: flex; gap: .75rem; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 600; text-decoration: underline; }
header .who { margin-left: auto; color: var(--muted); }
main { padding: 1rem; max-width: 1400px; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding-bottom: .25rem; }
.muted { color: var(--muted); }
.bad { color: var(--bad); }
.ok { color: var(--ok); }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--accent); padding: .5rem .75rem; margin-bottom: 1rem; }
.error { border-left-color: var(--bad); }
form.inline { display: inline; }
form.row { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin: .5rem 0 1rem; }
form.row label { display: flex; flex-direction: column; gap: .15rem; }
button { font: inherit; padding: .25rem .7rem; cursor: pointer; }
button.danger { color: var(--bad); }
meter { width: 10rem; }
td code { overflow-wrap: anywhere; }
pre { white-space: pre-wrap; word-break: break-word; background: color-mix(in srgb, var(--line) 30%, transparent); padding: .5rem; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.fields dt { color: var(--muted); }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

export const SCRIPT = `
(() => {
  const every = Number(document.body.dataset.refreshMs);
  const status = document.getElementById('live-status');
  if (!every || !status) return;
  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(location.href, { headers: { 'x-turbine-live': '1' }, credentials: 'same-origin' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const next = new DOMParser().parseFromString(await response.text(), 'text/html');
      for (const region of document.querySelectorAll('[data-live]')) {
        // A region holding the keyboard focus is left alone, so that refreshing never moves it.
        if (region.contains(document.activeElement) && document.activeElement !== document.body) continue;
        const fresh = next.querySelector('[data-live="' + region.dataset.live + '"]');
        if (fresh && fresh.innerHTML !== region.innerHTML) region.innerHTML = fresh.innerHTML;
      }
    } catch (error) {
      status.textContent = 'Live refresh failed (' + error.message + '); retrying.';
    }
  }
  setInterval(refresh, every);
})();
`;
