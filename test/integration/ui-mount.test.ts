import type { Server } from 'node:http';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConsole, type TurbineConsole } from '../../src/ui/index.js';
import { TestWorld } from '../helpers/worker.js';

/** `turbine/ui` mounted under /ops in an Express and a Fastify app, against a real Redis. */

const TOKEN = 'mount-token';
let world: TestWorld;
let web: TurbineConsole;
let close: () => Promise<unknown>;

beforeEach(async () => {
  world = new TestWorld();
  await world.tenant('acme');
});

afterEach(async () => {
  await close();
  await web.close();
  await world.close();
});

async function startExpress(): Promise<string> {
  web = createConsole({ backendUrl: world.url, prefix: world.prefix, token: TOKEN });
  const app = express();
  app.use('/ops', web);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  close = () => new Promise((resolve) => server.close(resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function startFastify(): Promise<string> {
  web = createConsole({ backendUrl: world.url, prefix: world.prefix, token: TOKEN, basePath: '/ops' });
  const app: FastifyInstance = Fastify();
  // The console reads its forms itself: let them through unparsed.
  app.addContentTypeParser('application/x-www-form-urlencoded', (_request, _payload, done) => done(null));
  app.all('/ops', (request, reply) => {
    reply.hijack();
    web(request.raw, reply.raw);
  });
  app.all('/ops/*', (request, reply) => {
    reply.hijack();
    web(request.raw, reply.raw);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  close = () => app.close();
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

describe.each([
  ['Express', startExpress],
  ['Fastify', startFastify],
])('mounted in %s under /ops', (_name, start) => {
  it('serves the pages with links under the mount path', async () => {
    const origin = await start();
    const page = await (await fetch(`${origin}/ops/`)).text();
    expect(page).toContain('href="/ops/tenants/acme"');
    expect(page).toContain('href="/ops/assets/console.css"');
    expect((await fetch(`${origin}/ops/assets/console.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${origin}/ops/tenants/acme`)).status).toBe(200);
    expect((await fetch(`${origin}/ops/tenants/nobody`)).status).toBe(404);
  });

  it('does an action with the token (Bearer), after confirmation only, recorded in the audit trail', async () => {
    const origin = await start();
    const post = (body: Record<string, string>) =>
      fetch(`${origin}/ops/actions/disable`, {
        method: 'POST',
        redirect: 'manual',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const asked = await post({ tenant: 'acme', back: '/tenants/acme' });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('Disable tenant acme');
    expect((await world.manager.requireTenant('acme')).enabled).toBe(true);

    const done = await post({ tenant: 'acme', back: '/tenants/acme', confirmed: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toMatch(/^\/ops\/tenants\/acme\?notice=/);
    expect((await world.manager.requireTenant('acme')).enabled).toBe(false);
    const [entry] = await world.manager.getAuditLog('acme', { limit: 1 });
    expect(entry).toMatchObject({ action: 'disable', actor: 'ui:operator' });
  });

  it('refuses an action from another site or without the token', async () => {
    const origin = await start();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams({ tenant: 'acme', confirmed: 'yes' });
    const crossSite = await fetch(`${origin}/ops/actions/disable`, {
      method: 'POST',
      headers: { ...form, authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' },
      body,
    });
    expect(crossSite.status).toBe(403);
    const anonymous = await fetch(`${origin}/ops/actions/disable`, { method: 'POST', headers: form, body });
    expect(anonymous.status).toBe(403);
    expect((await world.manager.requireTenant('acme')).enabled).toBe(true);
  });
});
