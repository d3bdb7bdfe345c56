import type { IncomingMessage, ServerResponse } from 'node:http';
import { Queue } from 'bullmq';
import type { RedisClient } from '../store/connection.js';
import { DeadLetterQueue } from '../dlq/queue.js';
import { TurbineError, coerceError } from '../core/errors.js';
import { TenantManager } from '../tenancy/manager.js';
import type { RedisClientOptions } from '../store/holder.js';
import { ACTIONS } from './actions.js';
import { SCRIPT, STYLESHEET } from './assets.js';
import { ACTOR_COOKIE, TOKEN_COOKIE, TokenCheck, cookie, validOperatorName } from './auth.js';
import { SharedReads } from './cache.js';
import { AcceptedHistory } from './history.js';
import type { Html } from './html.js';
import type { PageContext } from './layout.js';
import { confirmPage, problemPage } from './pages/actions.js';
import { deadLetterPage, deadLettersPage } from './pages/dead-letters.js';
import { queuesPage } from './pages/queues.js';
import { signInPage } from './pages/sign-in.js';
import { tenantPage } from './pages/tenant.js';
import { parseSort, tenantsPage } from './pages/tenants.js';
import { workersPage } from './pages/workers.js';
import { readOverview, readQueues, readTenantDetail, type ConsoleSources, type Overview } from './reads.js';

export interface ConsoleOptions extends RedisClientOptions {
  /** Actions need this token; without one the console is read-only. @defaultValue `TURBINE_UI_TOKEN` */
  token?: string;
  /** How often pages refresh, and how long a Redis reading (of every shard) is shared by all browsers. @defaultValue 2000 */
  refreshMs?: number;
  /**
   * The path the console is mounted under when the request's URL still carries it (Fastify,
   * plain node:http). Express strips its mount path itself and needs none.
   */
  basePath?: string;
}

/** The web console as a Node request handler, for `turbine ui` or an app's own server. */
export interface TurbineConsole {
  (req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

/** Dead letters read for the Dead letters page before the reason and task filters (which have no index). */
const DLQ_PAGE = 200;
const FORM_LIMIT = 16 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Creates the console. Every page is rendered on the server from readings shared by all
 * browsers for `refreshMs`; the page script fetches the same URL again to refresh the live
 * parts, so open consoles cost Redis one reading per interval, not one per browser.
 */
export function createConsole(options: ConsoleOptions = {}): TurbineConsole {
  const refreshMs = options.refreshMs ?? 2000;
  const manager = new TenantManager({ ...options, actor: 'ui' });
  const shards = manager.shards;
  const tokens = new TokenCheck(options.token ?? process.env.TURBINE_UI_TOKEN);
  const reads = new SharedReads(refreshMs);
  const history = new AcceptedHistory();
  /** BullMQ's Queue objects, by shard and queue name. */
  const queues = new Map<string, Queue>();
  let sources: Promise<ConsoleSources> | null = null;

  const connect = (): Promise<ConsoleSources> =>
    (sources ??= manager.client().then(
      (client: RedisClient): ConsoleSources => ({
        client,
        shards,
        manager,
        deadLetters: new DeadLetterQueue({ connection: client, prefix: shards.prefix, shards: shards.count }),
        queue: (name, shard) => {
          const key = `${shard}\n${name}`;
          let queue = queues.get(key);
          if (!queue) queues.set(key, (queue = new Queue(name, { connection: client, prefix: shards.layout(shard).bullPrefix() })));
          return queue;
        },
      }),
      (error: unknown) => {
        sources = null;
        throw error;
      },
    ));

  const overview = (): Promise<Overview> =>
    reads.get('overview', async () => {
      const read = await readOverview(await connect());
      history.record(read);
      return read;
    });

  async function route(req: IncomingMessage, res: ServerResponse, ctx: PageContext, url: URL): Promise<Html | null> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST') return post(req, res, ctx, path);
    if (method !== 'GET' && method !== 'HEAD') throw new HttpProblem(405, `${method} is not supported here`);
    if (path === '/') return tenantsPage(ctx, await overview(), parseSort(url.searchParams), (id) => history.perMinute(id));
    const tenantMatch = /^\/tenants\/([^/]+)$/.exec(path);
    if (tenantMatch) {
      const tenantId = decodeURIComponent(tenantMatch[1]!);
      const detail = await reads.get(`tenant:${tenantId}`, async () => {
        const row = (await overview()).tenants.find((r) => r.tenant.tenantId === tenantId);
        return row ? readTenantDetail(await connect(), row) : null;
      });
      if (!detail) throw new HttpProblem(404, `No tenant ${tenantId}: it may have been deleted`);
      return tenantPage(ctx, detail);
    }
    if (path === '/queues' || path === '/workers') {
      const views = await reads.get('queues', async () => readQueues(await connect(), await overview()));
      return path === '/queues' ? queuesPage(ctx, views) : workersPage(ctx, views);
    }
    if (path === '/dead-letters') return deadLetters(ctx, url.searchParams);
    if (path === '/dead-letters/entry') {
      const id = url.searchParams.get('id') ?? '';
      const entry = await reads.get(`dlq-entry:${id}`, async () => (await connect()).deadLetters.get(id));
      if (!entry) throw new HttpProblem(404, `No dead letter ${id}: it may have been replayed or purged`);
      return deadLetterPage(ctx, entry);
    }
    if (path === '/sign-in') return signInPage(ctx, safeBack(url.searchParams.get('back')), null);
    throw new HttpProblem(404, `No page ${path}`);
  }

  async function deadLetters(ctx: PageContext, query: URLSearchParams): Promise<Html> {
    const tenant = query.get('tenant')?.trim() ?? '';
    const queue = query.get('queue')?.trim() ?? '';
    const reason = query.get('reason')?.trim() ?? '';
    const task = query.get('task')?.trim() ?? '';
    const filter = { ...(tenant ? { tenantId: tenant } : {}), ...(queue ? { queue } : {}) };
    const { entries, total } = await reads.get(`dlq:${tenant}\n${queue}`, async () => {
      const { deadLetters: dlq } = await connect();
      const [list, count] = await Promise.all([dlq.list({ ...filter, limit: DLQ_PAGE }), dlq.count(filter)]);
      return { entries: list, total: count };
    });
    const shown = entries.filter((e) => (!reason || e.reason === reason) && (!task || e.task === task));
    return deadLettersPage(ctx, shown, { tenant, queue, reason, task, scanned: entries.length, total });
  }

  async function post(req: IncomingMessage, res: ServerResponse, ctx: PageContext, path: string): Promise<Html | null> {
    assertSameOrigin(req);
    const form = await readForm(req);
    const back = safeBack(form.get('back'));
    if (path === '/sign-in') {
      const name = (form.get('name') ?? '').trim();
      if (!tokens.enabled) throw new HttpProblem(403, 'This console has no token (TURBINE_UI_TOKEN), so it is read-only');
      if (!validOperatorName(name)) return signInPage(ctx, back, 'Enter your name (1 to 64 characters) for the audit trail.');
      if (!tokens.matches(form.get('token') ?? '')) return signInPage(ctx, back, 'That token is not the console token.');
      res.setHeader('Set-Cookie', [cookie(TOKEN_COOKIE, form.get('token')!, cookiePath(ctx)), cookie(ACTOR_COOKIE, name, cookiePath(ctx))]);
      return redirect(res, ctx, back, `Signed in as ui:${name}.`);
    }
    if (path === '/sign-out') {
      res.setHeader('Set-Cookie', [cookie(TOKEN_COOKIE, '', cookiePath(ctx), 0), cookie(ACTOR_COOKIE, '', cookiePath(ctx), 0)]);
      return redirect(res, ctx, '/', 'Signed out.');
    }
    const name = /^\/actions\/([a-z]+)$/.exec(path)?.[1];
    const action = name ? ACTIONS[name] : undefined;
    if (!action) throw new HttpProblem(404, `No action ${path}`);
    if (!ctx.viewer.canAct) {
      throw new HttpProblem(403, tokens.enabled ? 'Sign in with the console token to make changes' : 'This console is read-only: start it with TURBINE_UI_TOKEN to allow changes');
    }
    const fields = new URLSearchParams([...form].filter(([key]) => key !== 'back' && key !== 'confirmed'));
    if (form.get('confirmed') !== 'yes') return confirmPage(ctx, name!, Object.fromEntries(fields), action.describe(fields), back);
    const notice = await action.run(await connect(), ctx.viewer.actor, fields);
    reads.clear();
    return redirect(res, ctx, back, notice);
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const { base, url } = locate(req, options.basePath);
    const ctx: PageContext = {
      base,
      viewer: tokens.viewer(req),
      tokenEnabled: tokens.enabled,
      refreshMs,
      path: url.pathname + url.search,
      notice: url.searchParams.get('notice'),
    };
    if (url.pathname === '/assets/console.css') return send(res, 200, 'text/css', STYLESHEET, 'public, max-age=300');
    if (url.pathname === '/assets/console.js') return send(res, 200, 'text/javascript', SCRIPT, 'public, max-age=300');
    if (url.pathname === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    route(req, res, ctx, url).then(
      (page) => {
        if (page) send(res, 200, 'text/html', page.text);
      },
      (thrown: unknown) => {
        const error = coerceError(thrown);
        const status = error instanceof HttpProblem ? error.status : statusOf(error);
        const title = status >= 500 ? 'Something failed' : 'Not done';
        const back = ctx.path.startsWith('/actions') ? '/' : ctx.path;
        send(res, status, 'text/html', problemPage({ ...ctx, notice: null }, title, error.message, status === 404 ? '/' : back).text);
      },
    );
  };

  return Object.assign(handler, {
    close: async () => {
      await Promise.all([...queues.values()].map((q) => q.close().catch(() => undefined)));
      await manager.close();
    },
  });
}

/** Turbine's refusals are the operator's to fix (400/409); anything else is the console's (500). */
function statusOf(error: Error): number {
  if (!(error instanceof TurbineError)) return 500;
  if (error.code.endsWith('_NOT_FOUND')) return 404;
  return error.code.startsWith('INVALID_') ? 400 : 409;
}

/** The mount path and the URL below it. */
function locate(req: IncomingMessage, basePath: string | undefined): { base: string; url: URL } {
  let path = req.url ?? '/';
  let base = '';
  const original = (req as IncomingMessage & { originalUrl?: string }).originalUrl;
  if (basePath && path.startsWith(basePath)) {
    base = basePath.replace(/\/$/, '');
    path = path.slice(base.length) || '/';
  } else if (original && original !== path && original.endsWith(path)) {
    // Express: req.url is below the mount path, req.originalUrl is the whole path.
    base = original.slice(0, original.length - path.length).replace(/\/$/, '');
  } else if (original && path === '/' && original !== '/') {
    base = original.split('?')[0]!.replace(/\/$/, '');
  }
  return { base, url: new URL(path.startsWith('/') ? path : `/${path}`, 'http://console') };
}

function cookiePath(ctx: PageContext): string {
  return ctx.base || '/';
}

/** Only paths of the console itself: a `back` can never send the browser elsewhere. */
function safeBack(back: string | null | undefined): string {
  return back && back.startsWith('/') && !back.startsWith('//') && !back.startsWith('/\\') ? back : '/';
}

function redirect(res: ServerResponse, ctx: PageContext, back: string, notice: string): null {
  const target = new URL(back, 'http://console');
  target.searchParams.set('notice', notice);
  res.writeHead(303, { Location: `${ctx.base}${target.pathname}${target.search}` });
  res.end();
  return null;
}

/** Browsers send Origin with every POST: one from another site is refused (CSRF). */
function assertSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new HttpProblem(403, 'Refused: the request came from an unreadable origin');
  }
  if (host !== req.headers.host) throw new HttpProblem(403, `Refused: the request came from another site (${origin})`);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  // A framework may have parsed the body already (Express' urlencoded()).
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) {
    return new URLSearchParams(Object.entries(parsed as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT) throw new HttpProblem(413, 'The form is too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, type: string, body: string, cache = 'no-store'): void {
  res.writeHead(status, {
    'Content-Type': `${type}; charset=utf-8`,
    'Cache-Control': cache,
    'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
  });
  res.end(body);
}
