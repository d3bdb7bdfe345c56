import { createHmac, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createService, type RunningService } from '../../examples/http-service/service.js';
import {
  InvalidArgumentError,
  QueueFullError,
  QuotaExceededError,
  RateLimitedError,
  NotReplicatedError,
  RedisUnavailableError,
  TaskNotFoundError,
  TaskTooLargeError,
  TenantExistsError,
  TenantMismatchError,
  TenantNotFoundError,
  TimeoutError,
  TurbineError,
} from '../../src/core/errors.js';
import {
  createTenantResolver,
  expressErrorHandler,
  expressTenant,
  fastifyErrorHandler,
  fastifyTenant,
  httpErrorFor,
  type TenantResolverOptions,
  type VerifiedClaims,
} from '../../src/http/index.js';
import type { Turbine } from '../../src/tasks/app.js';
import type { TaskDefinition } from '../../src/tasks/task.js';
import type { TenantManager } from '../../src/tenancy/manager.js';
import type { TenantQuotas } from '../../src/tenancy/quotas.js';
import type { WorkerRuntime } from '../../src/worker/runtime.js';
import { startWorker } from '../../src/worker/start.js';
import { pollUntil } from '../helpers/context.js';
import { TestWorld } from '../helpers/worker.js';

let world: TestWorld;
let raw: Redis;
let prefix: string;
let app: Turbine;
let manager: TenantManager;
let sendEmail: TaskDefinition<[string], string>;

beforeEach(() => {
  world = new TestWorld();
  ({ raw, prefix, app, manager } = world);
  sendEmail = app.task({ name: 'send_email', queue: 'emails' }, async (to: string) => `sent to ${to}`);
});

afterEach(() => world.close());

const tenant = (tenantId: string, quotas: TenantQuotas = {}) => world.tenant(tenantId, quotas);

// --- A signed token, as the application's own authentication would verify it. -------------

const SECRET = 'test-secret';
const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
const hmac = (data: string): Buffer => createHmac('sha256', SECRET).update(data).digest();

function signToken(claims: Record<string, unknown>, secret = SECRET): string {
  const body = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}`;
  return `${body}.${b64(createHmac('sha256', secret).update(body).digest())}`;
}

/** The claims of a valid `Authorization: Bearer` HS256 token, else null. */
function verifiedClaims(request: { headers: IncomingHttpHeaders }): VerifiedClaims | null {
  const [scheme, token] = (request.headers.authorization ?? '').split(' ');
  const [header, payload, signature] = (token ?? '').split('.');
  if (scheme !== 'Bearer' || !header || !payload || !signature) return null;
  const given = Buffer.from(signature, 'base64url');
  const expected = hmac(`${header}.${payload}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as VerifiedClaims;
}

// --- Servers: the same routes on Express and on Fastify. ------------------------------------

type AnyRequest = { headers: IncomingHttpHeaders };
type SubmitBody = { to?: string; priority?: number; crash?: boolean };
type StartServer = (options: TenantResolverOptions<AnyRequest>) => Promise<string>;

/** What the submit route of both servers does; a thrown error goes to the framework's error handler. */
async function submit(tenantId: string | undefined, body: SubmitBody): Promise<{ task_id: string }> {
  if (body.crash) throw new Error(`internal detail: redis://:hunter2@10.0.0.7 key ${prefix}:tenant`);
  const result = await sendEmail.applyAsync({ args: [body.to ?? 'user@example.com'], tenantId, priority: body.priority });
  return { task_id: result.taskId };
}

async function listen(handler: express.Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = handler.listen(0, '127.0.0.1', () => resolve(s));
  });
  world.defer(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const startExpress: StartServer = async (options) => {
  const web = express();
  web.set('trust proxy', true);
  const tenantMiddleware = expressTenant(options);
  world.defer(() => tenantMiddleware.resolver.close());
  web.use(tenantMiddleware, express.json());
  web.post('/submit', async (req, res) => {
    res.status(202).json(await submit(req.tenantId, req.body as SubmitBody));
  });
  web.use((req, res) => {
    res.json({ tenantId: req.tenantId });
  });
  web.use(expressErrorHandler());
  return listen(web);
};

const startFastify: StartServer = async (options) => {
  const web = Fastify({ trustProxy: true });
  world.defer(() => web.close());
  web.setErrorHandler(fastifyErrorHandler({ onServerError: () => undefined }));
  await web.register(fastifyTenant, options);
  web.post('/submit', async (request, reply) => reply.code(202).send(await submit(request.tenantId, request.body as SubmitBody)));
  web.get('/*', async (request) => ({ tenantId: request.tenantId }));
  await web.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;
};

async function call(url: string, init: { headers?: Record<string, string>; body?: unknown; method?: string } = {}) {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

const whoami = async (url: string, headers: Record<string, string> = {}) => call(url, { headers });

describe.each([
  ['express', startExpress],
  ['fastify', startFastify],
] as const)('%s: tenant resolution', (_framework, start) => {
  it('reads X-Tenant-ID by default, and any header by name', async () => {
    const url = await start({});
    expect((await whoami(url, { 'X-Tenant-ID': 'acme' })).body).toEqual({ tenantId: 'acme' });
    const custom = await start({ strategies: [{ type: 'header', name: 'X-Org' }] });
    expect((await whoami(custom, { 'x-org': 'globex' })).body).toEqual({ tenantId: 'globex' });
    expect(await whoami(custom, { 'X-Tenant-ID': 'acme' })).toMatchObject({
      status: 400,
      body: { error: 'TENANT_REQUIRED', message: 'No tenant in the request: send the X-Org header' },
    });
  });

  it('reads the subdomain of the base domain (behind a proxy, from X-Forwarded-Host)', async () => {
    const url = await start({ strategies: [{ type: 'subdomain', baseDomain: 'yourapp.com', reserved: ['www'] }] });
    const host = (value: string) => whoami(url, { 'X-Forwarded-Host': value });
    expect((await host('acme.yourapp.com')).body).toEqual({ tenantId: 'acme' });
    expect((await host('Acme.YourApp.com:8443')).body).toEqual({ tenantId: 'acme' });
    for (const notTenant of ['yourapp.com', 'www.yourapp.com', 'a.b.yourapp.com', 'acme.other.com', 'evilyourapp.com']) {
      expect(await host(notTenant), notTenant).toMatchObject({ status: 400, body: { error: 'TENANT_REQUIRED' } });
    }
    // The direct Host (here 127.0.0.1:port) is no subdomain either.
    expect((await whoami(url)).status).toBe(400);
  });

  it('reads a path segment by index or by pattern', async () => {
    const byIndex = await start({ strategies: [{ type: 'path', index: 1 }] });
    expect((await whoami(`${byIndex}/api/acme/tasks?page=2`)).body).toEqual({ tenantId: 'acme' });
    expect((await whoami(`${byIndex}/api`)).status).toBe(400);
    const byPattern = await start({ strategies: [{ type: 'path', pattern: '/api/:tenant' }] });
    expect((await whoami(`${byPattern}/api/globex/tasks/7`)).body).toEqual({ tenantId: 'globex' });
    expect((await whoami(`${byPattern}/other/globex`)).body).toMatchObject({ error: 'TENANT_REQUIRED' });
    expect(await whoami(`${byPattern}/api/a%3Ab`)).toMatchObject({ status: 400, body: { error: 'INVALID_TENANT_ID' } });
  });

  it('reads a claim of a token the application verified', async () => {
    const url = await start({ strategies: [{ type: 'claim', claim: 'tenant_id', claims: verifiedClaims }] });
    const bearer = (token: string) => whoami(url, { authorization: `Bearer ${token}` });
    expect((await bearer(signToken({ sub: 'u1', tenant_id: 'acme' }))).body).toEqual({ tenantId: 'acme' });
    // A forged token has no verified claims, so no tenant.
    expect((await bearer(signToken({ tenant_id: 'acme' }, 'wrong-secret'))).body).toMatchObject({ error: 'TENANT_REQUIRED' });
    expect((await bearer(signToken({ sub: 'u1' }))).status).toBe(400);
    expect(await bearer(signToken({ tenant_id: 42 }))).toMatchObject({ status: 400, body: { error: 'INVALID_TENANT_ID' } });
  });

  it('tries strategies in order, then a custom one, then the default tenant', async () => {
    const url = await start({
      strategies: [
        { type: 'header' },
        { type: 'subdomain', baseDomain: 'yourapp.com' },
        { type: 'custom', resolve: (request) => (request.headers['x-api-key'] === 'key-of-initech' ? 'initech' : null) },
      ],
      defaultTenant: 'default',
    });
    const both = { 'X-Tenant-ID': 'from-header', 'X-Forwarded-Host': 'from-host.yourapp.com' };
    expect((await whoami(url, both)).body).toEqual({ tenantId: 'from-header' });
    expect((await whoami(url, { 'X-Forwarded-Host': 'from-host.yourapp.com' })).body).toEqual({ tenantId: 'from-host' });
    expect((await whoami(url, { 'x-api-key': 'key-of-initech' })).body).toEqual({ tenantId: 'initech' });
    expect((await whoami(url)).body).toEqual({ tenantId: 'default' });
  });

  it('refuses an invalid tenant id without trying the next strategy', async () => {
    const url = await start({ strategies: [{ type: 'header' }], defaultTenant: 'default' });
    for (const bad of ['acme:evil', 'a b', '-acme', 'x'.repeat(65), '*']) {
      const answer = await whoami(url, { 'X-Tenant-ID': bad });
      expect(answer.status, bad).toBe(400);
      expect(answer.body.error).toBe('INVALID_TENANT_ID');
    }
  });

  it('with a manager: 404 for an unknown tenant, 403 for a disabled one, refreshed on change', async () => {
    await tenant('acme');
    // A long TTL: only the change notice can explain a refreshed answer.
    const url = await start({ manager, cache: { ttlMs: 60_000 } });
    const acme = () => whoami(url, { 'X-Tenant-ID': 'acme' });
    expect((await acme()).status).toBe(200);
    expect(await whoami(url, { 'X-Tenant-ID': 'nobody' })).toMatchObject({
      status: 404,
      body: { error: 'TENANT_NOT_FOUND', message: "Tenant 'nobody' not found" },
    });
    await manager.updateTenant('acme', { enabled: false });
    const disabled = await pollUntil(acme, (r) => r.status !== 200, { what: 'the change notice', timeoutMs: 5000 });
    expect(disabled).toMatchObject({ status: 403, body: { error: 'TENANT_DISABLED', message: "Tenant 'acme' is disabled" } });
    await tenant('nobody');
    await pollUntil(() => whoami(url, { 'X-Tenant-ID': 'nobody' }), (r) => r.status === 200, { what: 'creation notice', timeoutMs: 5000 });
  });
});

describe('tenant resolver', () => {
  it('caches tenant states: a change made without a notice is not seen until the TTL', async () => {
    await tenant('acme');
    const resolver = createTenantResolver({ manager, cache: { ttlMs: 60_000 } });
    world.defer(() => resolver.close());
    const request = { headers: { 'x-tenant-id': 'acme' } };
    await expect(resolver.resolve(request)).resolves.toBe('acme');
    await raw.del(`${prefix}:tenant:acme`);
    await expect(resolver.resolve(request)).resolves.toBe('acme');
    const uncached = createTenantResolver({ manager, cache: { ttlMs: 0 } });
    await expect(uncached.resolve(request)).rejects.toThrow(TenantNotFoundError);
  });

  it('refuses a repeated tenant header as ambiguous', async () => {
    const resolver = createTenantResolver();
    await expect(resolver.resolve({ headers: { 'x-tenant-id': ['acme', 'globex'] } })).rejects.toThrow(/Invalid tenant id "acme, globex"/);
    await expect(resolver.resolve({ headers: { 'x-tenant-id': '' } })).rejects.toThrow(/No tenant in the request/);
  });

  it('reads the Host header with a port when no host is given', async () => {
    const resolver = createTenantResolver({ strategies: [{ type: 'subdomain', baseDomain: 'yourapp.com' }] });
    await expect(resolver.resolve({ headers: { host: 'acme.yourapp.com:3000' } })).resolves.toBe('acme');
    await expect(resolver.resolve({ headers: { host: '[::1]:3000' } })).rejects.toThrow(/a subdomain of yourapp.com/);
  });

  it('refuses bad configuration when built', () => {
    expect(() => createTenantResolver({ strategies: [{ type: 'path', pattern: '/api/:org' }] })).toThrow(/':tenant' segment/);
    expect(() => createTenantResolver({ strategies: [{ type: 'path', index: -1 }] })).toThrow(InvalidArgumentError);
    expect(() => createTenantResolver({ strategies: [{ type: 'subdomain', baseDomain: 'com' }] })).toThrow(/baseDomain/);
    expect(() => createTenantResolver({ defaultTenant: 'not valid' })).toThrow(/Invalid tenant id/);
    expect(() => createTenantResolver({ strategies: [] })).toThrow(/at least one strategy/);
  });

  it('imports Express and Fastify only as types, so turbine/http loads without them', () => {
    const dir = new URL('../../src/http/', import.meta.url);
    for (const file of readdirSync(dir)) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const valueImports = source.match(/^import (?!type )[^;]*from '(express|fastify)[^']*'/gm) ?? [];
      expect(valueImports, file).toEqual([]);
    }
  });
});

describe.each([
  ['express', startExpress],
  ['fastify', startFastify],
] as const)('%s: Turbine errors as HTTP answers', (_framework, start) => {
  const post = (url: string, tenantId: string, body: SubmitBody = {}) =>
    call(`${url}/submit`, { headers: { 'X-Tenant-ID': tenantId }, body });

  it('accepts a submission (202)', async () => {
    await tenant('acme');
    const answer = await post(await start({}), 'acme');
    expect(answer.status).toBe(202);
    expect(await app.result(String(answer.body.task_id), { tenantId: 'acme', queue: 'emails' }).status()).toBe('waiting');
  });

  it('404 unknown tenant, 403 disabled, 403 queue not allowed, 413 too large', async () => {
    const url = await start({});
    expect(await post(url, 'ghost')).toMatchObject({ status: 404, body: { error: 'TENANT_NOT_FOUND' } });
    await manager.createTenant({ tenantId: 'off', name: 'off', enabled: false });
    expect(await post(url, 'off')).toMatchObject({ status: 403, body: { error: 'TENANT_DISABLED' } });
    await tenant('narrow', { allowedQueues: ['default'] });
    expect(await post(url, 'narrow')).toMatchObject({
      status: 403,
      body: { error: 'QUEUE_NOT_ALLOWED', message: "Queue 'emails' is not allowed for tenant 'narrow' (allowed_queues: default)" },
    });
    await tenant('small', { maxTaskSizeBytes: 10 });
    expect(await post(url, 'small', { to: 'someone@example.com' })).toMatchObject({ status: 413, body: { error: 'TASK_TOO_LARGE' } });
  });

  it('429 with Retry-After until the hour resets when the hourly quota is spent', async () => {
    await tenant('acme', { maxTasksPerHour: 1 });
    const url = await start({});
    expect((await post(url, 'acme')).status).toBe(202);
    const refused = await post(url, 'acme');
    expect(refused).toMatchObject({ status: 429, body: { error: 'QUOTA_EXCEEDED' } });
    expect(refused.body.message).toMatch(/^Hourly task quota exceeded \(1\); resets in/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  });

  it('429 with a Retry-After hint when the tenant queue is full', async () => {
    await tenant('acme', { maxQueueLength: 1 });
    const url = await start({});
    expect((await post(url, 'acme')).status).toBe(202);
    const refused = await post(url, 'acme');
    expect(refused).toMatchObject({ status: 429, body: { error: 'QUEUE_FULL' } });
    expect(refused.headers.get('retry-after')).toBe('5');
  });

  it('400 for invalid input, 500 without internals for anything else', async () => {
    await tenant('acme');
    const url = await start({});
    expect(await post(url, 'acme', { priority: 0 })).toMatchObject({ status: 400, body: { error: 'INVALID_ARGUMENT' } });
    const crashed = await post(url, 'acme', { crash: true });
    expect(crashed).toEqual(expect.objectContaining({ status: 500, body: { error: 'INTERNAL', message: 'Internal server error' } }));
    const malformed = await call(`${url}/submit`, { headers: { 'X-Tenant-ID': 'acme' }, body: '{"to":' });
    expect(malformed.status).toBe(400);
  });
});

describe('httpErrorFor', () => {
  it('maps every Turbine error and hides what is internal', () => {
    const expected: [unknown, number, string][] = [
      [new TenantNotFoundError('a'), 404, 'TENANT_NOT_FOUND'],
      [new TenantExistsError('a'), 409, 'TENANT_EXISTS'],
      [new TaskTooLargeError('a', 11, 10), 413, 'TASK_TOO_LARGE'],
      [new QueueFullError('a', 3), 429, 'QUEUE_FULL'],
      [new InvalidArgumentError('bad'), 400, 'INVALID_ARGUMENT'],
      [new TenantMismatchError("Task 'send' always runs for tenant 'a'; it cannot be submitted for tenant 'b'"), 404, 'TASK_NOT_FOUND'],
      [new TaskNotFoundError('q', '7'), 404, 'TASK_NOT_FOUND'],
      [new TimeoutError('slow'), 504, 'TIMEOUT'],
      [new RedisUnavailableError('redis://***@db:6379', 'ECONNREFUSED'), 503, 'SERVICE_UNAVAILABLE'],
      [new NotReplicatedError(['7'], 0, 1, 1000), 503, 'SERVICE_UNAVAILABLE'],
      [new TurbineError('CONFIG_INVALID', 'secret config'), 500, 'INTERNAL'],
      [Object.assign(new Error('request entity too large'), { status: 413, expose: true }), 413, 'PAYLOAD_TOO_LARGE'],
      ['a string', 500, 'INTERNAL'],
    ];
    for (const [error, status, code] of expected) {
      expect(httpErrorFor(error), String(error)).toMatchObject({ status, body: { error: code } });
    }
    expect(JSON.stringify(httpErrorFor(new RedisUnavailableError('redis://***@db:6379', 'x')))).not.toMatch(/db:6379/);
    expect(httpErrorFor(new TaskNotFoundError('q', '7')).body.message).toBe('Task not found');
    expect(httpErrorFor(Object.assign(new Error('has secrets'), { statusCode: 400, expose: false })).body.message).toBe('Bad Request');
    expect(httpErrorFor(new QueueFullError('a', 3), { queueFullRetryAfterSeconds: 30 }).headers).toEqual({ 'retry-after': '30' });
    const quota = new QuotaExceededError('a', 'day', 5, new Date(Date.now() + 90_500));
    expect(httpErrorFor(quota)).toMatchObject({ status: 429, headers: { 'retry-after': '91' } });
    expect(httpErrorFor(new QuotaExceededError('a', 'hour', 5, null)).headers).toEqual({ 'retry-after': '1' });
    const rate = new RateLimitedError('a', 20, 'second', new Date(Date.now() + 1_200));
    expect(httpErrorFor(rate)).toMatchObject({ status: 429, body: { error: 'RATE_LIMITED' }, headers: { 'retry-after': '2' } });
  });
});

describe('example service (examples/http-service)', () => {
  let service: RunningService;
  let worker: WorkerRuntime | undefined;

  beforeEach(async () => {
    service = await createService({ app, manager });
    world.defer(() => service.close());
    worker = undefined;
  });

  afterEach(async () => {
    await worker?.close({ force: true });
  });

  const submitAs = (tenantId: string, body: unknown = { report: 'weekly' }) =>
    call(`${service.url}/process`, { headers: { 'X-Tenant-ID': tenantId }, body });
  const readAs = (tenantId: string, taskId: string) => call(`${service.url}/tasks/${taskId}`, { headers: { 'X-Tenant-ID': tenantId } });

  it('submits per request (202), runs the task, and shows it only to its tenant', async () => {
    await tenant('acme');
    await tenant('globex');
    worker = await startWorker({
      app,
      concurrency: 5,
      health: { port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
      metrics: { enabled: false },
    });
    await worker.ready();
    const submitted = await submitAs('acme', { report: 'weekly', format: 'pdf' });
    expect(submitted.status).toBe(202);
    const taskId = String(submitted.body.task_id);
    expect(submitted.headers.get('location')).toBe(`/tasks/${taskId}`);
    // Polled like an HTTP client would (and not with get(): see guide-examples.test.ts `finished`).
    const done = await pollUntil(() => readAs('acme', taskId), (r) => r.body.status === 'completed', { what: 'the task' });
    expect(done).toMatchObject({
      status: 200,
      body: { task_id: taskId, status: 'completed', result: { tenant: 'acme', keys: ['format', 'report'] } },
    });
    // Another tenant's task and a missing one answer alike, so ids of other tenants cannot be probed.
    const hidden = await readAs('globex', taskId);
    const missing = await readAs('acme', 'no-such-task');
    expect(hidden).toEqual(expect.objectContaining({ status: 404, body: { error: 'TASK_NOT_FOUND', message: 'Task not found' } }));
    expect(missing).toEqual(expect.objectContaining({ status: hidden.status, body: hidden.body }));
  });

  it('answers health without a tenant, and 400/404/403 for missing, unknown and disabled tenants', async () => {
    expect((await call(`${service.url}/healthz`)).status).toBe(200);
    expect(await call(`${service.url}/process`, { body: {} })).toMatchObject({ status: 400, body: { error: 'TENANT_REQUIRED' } });
    expect(await submitAs('ghost')).toMatchObject({ status: 404, body: { error: 'TENANT_NOT_FOUND' } });
    await manager.createTenant({ tenantId: 'off', name: 'off', enabled: false });
    expect(await submitAs('off')).toMatchObject({ status: 403, body: { error: 'TENANT_DISABLED' } });
    expect(await readAs('off', '1')).toMatchObject({ status: 403 });
  });

  it('maps quota (429 + Retry-After), queue rules (403) and size (413)', async () => {
    await tenant('free', { maxTasksPerHour: 2 });
    expect((await submitAs('free')).status).toBe(202);
    expect((await submitAs('free')).status).toBe(202);
    const refused = await submitAs('free');
    expect(refused).toMatchObject({ status: 429, body: { error: 'QUOTA_EXCEEDED' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3500);
    await tenant('mail-only', { allowedQueues: ['emails'] });
    expect(await submitAs('mail-only')).toMatchObject({ status: 403, body: { error: 'QUEUE_NOT_ALLOWED' } });
    await tenant('tiny', { maxTaskSizeBytes: 16 });
    expect(await submitAs('tiny', { report: 'x'.repeat(32) })).toMatchObject({ status: 413, body: { error: 'TASK_TOO_LARGE' } });
    expect(await submitAs('tiny', '{"broken":')).toMatchObject({ status: 400 });
  });
});
