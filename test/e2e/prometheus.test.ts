import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { instrumentProducer } from '../../src/metrics/producer.js';
import { Turbine } from '../../src/tasks/app.js';
import type { TaskContext } from '../../src/tasks/types.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import type { WorkerRuntime } from '../../src/worker/runtime.js';
import { startWorker } from '../../src/worker/start.js';
import { deletePrefix, pollUntil, redisUrl, uniquePrefix } from '../helpers/context.js';
import { PrometheusServer, type PromSample } from '../helpers/prometheus.js';
import { freePort } from '../helpers/redis-server.js';

/**
 * The metrics, the Grafana dashboard and the alert rules against a real Prometheus: a real
 * worker runs a two-tenant workload, Prometheus scrapes it (and the producer's registry), then
 * every dashboard query and every alert expression is evaluated through Prometheus's HTTP API
 * and must return series for the tenants the workload involves. A query naming a metric that
 * does not exist returns nothing, so it fails here.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARD = path.join(ROOT, 'charts/turbine-worker/dashboards/turbine-overview.json');
const RULES_DIR = path.join(ROOT, 'charts/turbine-worker/rules');
const RULES = path.join(RULES_DIR, 'turbine-alerts.yaml');
const RULE_TESTS = path.join(RULES_DIR, 'turbine-alerts.test.yaml');

// ---------------------------------------------------------------------------------------------
// Plumbing of the test

/** A TCP proxy in front of Redis, cut to make Redis unreachable for the worker alone. */
class RedisProxy {
  private server: ReturnType<typeof createServer> | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly target: URL,
    readonly port: number,
  ) {}

  static async start(targetUrl: string): Promise<RedisProxy> {
    const proxy = new RedisProxy(new URL(targetUrl), await freePort());
    await proxy.open();
    return proxy;
  }

  /** The target's URL (password, db) with the proxy's address. */
  get url(): string {
    const url = new URL(this.target.href);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.href;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Refuses new connections and drops the open ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/** The port of a worker's health server, where its metrics are scraped. */
function healthPortOf(worker: WorkerRuntime): number {
  if (worker.healthPort === null) throw new Error('the worker has no health server: start it with health.port');
  return worker.healthPort;
}

/** Serves a producer's registry the way docs/metrics.md tells a producer service to. */
async function serveProducerMetrics(registry: Registry): Promise<{ port: number; close: () => Promise<void> }> {
  const app = express();
  app.get('/metrics', async (_req, res) => {
    res.set('content-type', registry.contentType).send(await registry.metrics());
  });
  const server = await new Promise<Server>((resolve) => {
    const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the producer metrics server has no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// What to evaluate, and what each query must return

interface Expect {
  /** Label whose values must include `values` (all of them, and no others when `exact`). */
  label?: string;
  values?: string[];
  exact?: boolean;
  /** The query must return nothing. */
  none?: boolean;
}

const BOTH: Expect = { label: 'tenant', values: ['alpha', 'beta'] };
const BETA: Expect = { label: 'tenant', values: ['beta'] };
const ANY: Expect = {};

/** Every dashboard target, by "<panel title> / <refId>": a new panel needs an entry here. */
const PANEL_EXPECTATIONS: Record<string, Expect> = {
  'Workers ready / A': ANY,
  'Redis connected / A': ANY,
  'Tenants / A': ANY,
  'Tasks running / A': ANY,
  'Tasks held / A': ANY,
  'Dead-letter queue / A': ANY,
  'Tasks per second by tenant / A': BOTH,
  'Tasks per second by tenant / B': BOTH,
  'Tasks per second by tenant / C': BETA,
  'Tasks per second by tenant / D': BETA,
  'Rejected submissions by reason / A': BOTH,
  'Running vs max_concurrent_tasks / A': BOTH,
  'Running vs max_concurrent_tasks / B': BOTH,
  'Held tasks / A': BOTH,
  'Oldest held task age / A': BOTH,
  'Wait time p50 / p95 by tenant / A': BOTH,
  'Wait time p50 / p95 by tenant / B': BOTH,
  'Run duration p95 by task / A': { label: 'task', values: ['quick', 'flaky', 'poison', 'report'] },
  'Quota usage by tenant / A': BOTH,
  'Quota usage by tenant / B': BOTH,
  'Quota usage by tenant / C': BOTH,
  'Tasks accepted this hour / today / A': BOTH,
  'Retries per second / A': BETA,
  'Dead-letter queue size / A': BOTH,
  'Dead-lettered by reason / A': BETA,
  'Results rejected (too large) / A': BETA,
  'Queue jobs by state / A': { label: 'queue', values: ['work', 'fast'] },
  'Workers up / ready / Redis connected / A': ANY,
  'Workers up / ready / Redis connected / B': ANY,
  'Workers up / ready / Redis connected / C': ANY,
  'Task handlers running per worker / A': ANY,
  'Redis memory vs maxmemory / A': ANY,
  'Redis memory vs maxmemory / B': ANY,
  'Stored results by tenant / A': BOTH,
};

/** Alerts while the workload runs and Redis is reachable. */
const ALERTS_HEALTHY: Record<string, Expect> = {
  TurbineTenantHourlyQuotaHigh: { label: 'tenant', values: ['alpha'], exact: true },
  TurbineTenantDailyQuotaHigh: { label: 'tenant', values: ['alpha'], exact: true },
  TurbineTenantHeldTooLong: { label: 'tenant', values: ['alpha'], exact: true },
  TurbineDeadLetterQueueGrowing: { label: 'tenant', values: ['beta'], exact: true },
  TurbineNoWorkerReady: { none: true },
  TurbineRedisUnreachable: { none: true },
  // The test's Redis has no maxmemory: there is nothing to be near.
  TurbineRedisMemoryHigh: { none: true },
};

/** Alerts while the worker cannot reach Redis. */
const ALERTS_OUTAGE: Record<string, Expect> = {
  TurbineNoWorkerReady: { label: 'namespace', values: ['test'], exact: true },
  TurbineRedisUnreachable: { label: 'namespace', values: ['test'], exact: true },
};

/** Exact figures of the workload, read back through Prometheus. */
const VALUES: Record<string, number> = {
  'max(turbine_tasks_running{tenant="alpha"})': 2,
  'max(turbine_tasks_held{tenant="alpha"})': 6,
  'max(turbine_queue_tasks{queue="work", state="held"})': 6,
  'max(turbine_tenant_usage{tenant="alpha", metric="tasks_hour"})': 10,
  'max(turbine_tenant_quota_limit{tenant="alpha", quota="max_concurrent_tasks"})': 2,
  'sum(turbine_tasks_submitted_total{tenant="alpha"})': 10,
  'sum(turbine_tasks_rejected_total{tenant="alpha", reason="quota_hour"})': 2,
  'sum(turbine_tasks_rejected_total{tenant="beta", reason="too_large"})': 1,
  'max(turbine_dlq_tasks{tenant="beta", queue="fast"})': 2,
  'sum(turbine_results_rejected_total{tenant="beta"})': 1,
  'sum(turbine_tasks_finished_total{tenant="beta", outcome="retried"})': 2,
  'sum(turbine_tasks_dead_lettered_total{tenant="beta"})': 2,
  // Two workers are scraped, yet a plain sum() of a Redis-derived gauge counts each tenant once.
  'sum(turbine_tasks_running{tenant="alpha"})': 2,
  'sum(turbine_tasks_held{tenant="alpha"})': 6,
  'count(turbine_tenant_usage{tenant="alpha", metric="tasks_hour"})': 1,
  'sum(turbine_metrics_exporter)': 1,
  'count(turbine_worker_info)': 2,
};

interface Query {
  name: string;
  expr: string;
  expect: Expect;
}

interface DashboardPanel {
  title: string;
  panels?: DashboardPanel[];
  targets?: { refId: string; expr: string }[];
}

interface Dashboard {
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

/** Grafana's variables as Prometheus would receive them with "All" selected. */
function substitute(expr: string): string {
  const out = expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$namespace', 'test')
    .replaceAll('$queue', '.*')
    .replaceAll('$tenant', '.*');
  if (out.includes('$')) throw new Error(`unsubstituted variable in ${expr}`);
  return out;
}

function dashboardQueries(dashboard: Dashboard): Query[] {
  const queries: Query[] = [];
  const visit = (panel: DashboardPanel): void => {
    for (const target of panel.targets ?? []) {
      const name = `${panel.title} / ${target.refId}`;
      const expect = PANEL_EXPECTATIONS[name];
      if (!expect) throw new Error(`No expectation for dashboard query '${name}': add one to PANEL_EXPECTATIONS`);
      queries.push({ name, expr: substitute(target.expr), expect });
    }
    for (const child of panel.panels ?? []) visit(child);
  };
  for (const panel of dashboard.panels) visit(panel);
  return queries;
}

/** Alert expressions by name, read from the rule file (a plain `groups:` file). */
function alertExpressions(): Map<string, string> {
  const file = parseYaml(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] };
  const out = new Map<string, string>();
  for (const rule of file.groups.flatMap((g) => g.rules)) if (rule.alert) out.set(rule.alert, rule.expr);
  return out;
}

function alertQueries(expectations: Record<string, Expect>): Query[] {
  const expressions = alertExpressions();
  return Object.entries(expectations).map(([name, expect]) => {
    const expr = expressions.get(name);
    if (!expr) throw new Error(`No alert ${name} in ${RULES}`);
    return { name: `alert ${name}`, expr, expect };
  });
}

function check(result: PromSample[], expect: Expect): string | null {
  if (expect.none) return result.length === 0 ? null : `expected no series, got ${JSON.stringify(result.map((r) => r.metric))}`;
  if (result.length === 0) return 'no series';
  if (!expect.label) return null;
  const got = new Set(result.map((r) => r.metric[expect.label!]));
  const missing = (expect.values ?? []).filter((v) => !got.has(v));
  if (missing.length) return `no series with ${expect.label}=${missing.join(', ')} (got ${[...got].join(', ')})`;
  const extra = [...got].filter((v) => !(expect.values ?? []).includes(v ?? ''));
  if (expect.exact && extra.length) return `unexpected ${expect.label}=${extra.join(', ')}`;
  return null;
}

/** Evaluates every query once; the problems found (empty when all pass). */
async function evaluate(prometheus: PrometheusServer, queries: Query[], values: Record<string, number> = {}): Promise<string[]> {
  const problems: string[] = [];
  for (const query of queries) {
    const problem = check(await prometheus.query(query.expr), query.expect);
    if (problem) problems.push(`${query.name}: ${problem} — ${query.expr.replace(/\s+/g, ' ')}`);
  }
  for (const [expr, expected] of Object.entries(values)) {
    const result = await prometheus.query(expr);
    const got = result.length ? Number(result[0]!.value[1]) : null;
    if (got !== expected) problems.push(`${expr}: expected ${expected}, got ${got}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The workload

const prefix = uniquePrefix();
const gate: { open: () => void; promise: Promise<void> } = (() => {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { open, promise };
})();

let app: Turbine;
let manager: TenantManager;
let raw: Redis;
let proxy: RedisProxy;
/** Two replicas: the Redis-derived gauges must come from one of them only. */
let workers: WorkerRuntime[] = [];
let prometheus: PrometheusServer | null = null;
let producerServer: { port: number; close: () => Promise<void> } | null = null;
let stopProducerMetrics: (() => void) | null = null;

beforeAll(async () => {
  app = new Turbine({ backendUrl: redisUrl(), prefix });
  manager = new TenantManager({ backendUrl: redisUrl(), prefix, actor: 'test' });
  raw = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  proxy = await RedisProxy.start(redisUrl());

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const quick = app.task({ name: 'quick', queue: 'fast' }, async (_payload: string) => {
    await sleep(20);
    return 1;
  });
  const flaky = app.task({ name: 'flaky', queue: 'fast', retries: 2, backoff: 50 }, async (ctx: TaskContext) => {
    if (ctx.attempt === 1) throw new Error('first attempts fail');
    return 'ok';
  });
  const poison = app.task({ name: 'poison', queue: 'fast', retries: 0 }, async () => {
    throw new Error('always fails');
  });
  const report = app.task({ name: 'report', queue: 'fast' }, async () => 'x'.repeat(5000));
  const alphaQuick = app.task({ name: 'quick-alpha', queue: 'work' }, async () => 1);
  const slow = app.task({ name: 'slow', queue: 'work' }, () => gate.promise);

  await manager.createTenant({
    tenantId: 'alpha',
    name: 'Alpha (capped)',
    quotas: { maxConcurrentTasks: 2, maxTasksPerHour: 10, maxTasksPerDay: 12, maxQueueLength: 50 },
  });
  await manager.createTenant({
    tenantId: 'beta',
    name: 'Beta',
    quotas: {
      maxConcurrentTasks: 20,
      maxTasksPerHour: 1000,
      maxTasksPerDay: 10_000,
      maxQueueLength: 1000,
      maxTaskSizeBytes: 2000,
      maxResultSizeBytes: 1000,
    },
  });

  const producerRegistry = new Registry();
  stopProducerMetrics = instrumentProducer(app, { registry: producerRegistry }).stop;
  producerServer = await serveProducerMetrics(producerRegistry);
  const start = (): Promise<WorkerRuntime> =>
    startWorker({
      app,
      backendUrl: proxy.url,
      concurrency: 10,
      health: { port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
      metrics: { enabled: true, refreshIntervalMs: 200 },
      // The lock of the exporting replica lives 3 intervals: long enough that a slow pass on a busy
      // machine does not hand the gauges to the other worker mid-test (which splits their series).
      reconciler: { intervalMs: 1000 },
    });
  workers = await Promise.all([start(), start()]);
  await Promise.all(workers.map((w) => w.ready()));
  prometheus = await PrometheusServer.start({
    jobs: [
      { job: 'turbine-worker', ports: workers.map(healthPortOf) },
      { job: 'producer', ports: [producerServer.port] },
    ],
    rulesDir: RULES_DIR,
    ruleFiles: [path.basename(RULES)],
  });

  // beta: successes, retries, a refused oversized task.
  const betaRuns = await quick.applyBulk(Array.from({ length: 10 }, () => ({ args: [''] as [string], tenantId: 'beta' })));
  const tooLarge = await quick.applyBulk([{ args: ['y'.repeat(5000)], tenantId: 'beta' }]);
  expect(tooLarge[0]!.ok).toBe(false);
  const flakyRuns = await flaky.applyBulk(Array.from({ length: 2 }, () => ({ args: [] as [], tenantId: 'beta' })));

  // alpha: two quick tasks, then eight that block at its cap of 2 (six held), two refused by
  // the hourly quota of 10.
  for (const result of await alphaQuick.applyBulk([{ args: [], tenantId: 'alpha' }, { args: [], tenantId: 'alpha' }])) {
    if (!result.ok) throw result.error;
    await result.result.get({ timeoutMs: 10_000 });
  }
  const slowRuns = await slow.applyBulk(Array.from({ length: 10 }, () => ({ args: [] as [], tenantId: 'alpha' })));
  expect(slowRuns.map((r) => r.ok)).toEqual([true, true, true, true, true, true, true, true, false, false]);
  for (const result of [...betaRuns, ...flakyRuns]) {
    if (!result.ok) throw result.error;
    await result.result.get({ timeoutMs: 10_000 });
  }

  // Make alpha's oldest held task 20 minutes old, as if it had waited that long.
  const oldest = await raw.lindex(app.keys.held('alpha', 'work'), 0);
  expect(oldest).not.toBeNull();
  // A held entry is the job id, or "<id>:<priority>" for a prioritized task.
  await raw.hset(`${app.keys.bullPrefix()}:work:${oldest!.split(':')[0]}`, 'timestamp', Date.now() - 20 * 60_000);

  // The DLQ alert looks for growth: let Prometheus see beta's empty DLQ before tasks land there.
  await pollUntil(
    () => prometheus!.query('turbine_dlq_tasks{tenant="beta", queue="fast"} == 0'),
    (result) => result.length === 1,
    { timeoutMs: 15_000, intervalMs: 200, what: "Prometheus to scrape beta's empty DLQ" },
  );
  await poison.applyAsync({ args: [], tenantId: 'beta' });
  await report.applyAsync({ args: [], tenantId: 'beta' });
});

afterAll(async () => {
  gate.open();
  await Promise.all(workers.map((w) => w.close({ force: true })));
  await prometheus?.stop();
  stopProducerMetrics?.();
  await producerServer?.close();
  await proxy?.cut();
  await app?.close();
  await manager?.close();
  if (raw) {
    await deletePrefix(raw, prefix);
    await raw.quit();
  }
});

describe('metrics, dashboard and alerts in a real Prometheus', () => {
  it('the alert rules pass `promtool check rules` and their unit tests (`promtool test rules`)', async () => {
    const checked = await prometheus!.promtool(['check', 'rules', RULES]);
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('SUCCESS: 7 rules found');
    const tested = await prometheus!.promtool(['test', 'rules', RULE_TESTS]);
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
  });

  it('the dashboard variables resolve to the namespace, queues and tenants of the workload', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const variables = dashboard.templating.list.filter((v) => v.type === 'query');
    expect(variables.map((v) => v.name)).toEqual(['namespace', 'queue', 'tenant']);
    const want: Record<string, string[]> = { namespace: ['test'], queue: ['work', 'fast'], tenant: ['alpha', 'beta'] };
    for (const variable of variables) {
      const query = (variable.query as { query: string }).query;
      const [, selector, label] = /^label_values\((.+),\s*(\w+)\)$/.exec(query) ?? [];
      expect(selector, `variable ${variable.name}: ${query}`).toBeDefined();
      await pollUntil(
        () => prometheus!.api<Record<string, string>[]>('series', { 'match[]': substitute(selector!) }),
        (found) => want[variable.name]!.every((v) => found.some((s) => s[label!] === v)),
        { timeoutMs: 15_000, intervalMs: 250, what: `values of $${variable.name}` },
      );
    }
  });

  it('every dashboard query and every alert expression returns series for the tenants involved', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const queries = [...dashboardQueries(dashboard), ...alertQueries(ALERTS_HEALTHY)];
    expect(queries.length).toBeGreaterThan(30);
    const problems = await pollUntil(() => evaluate(prometheus!, queries, VALUES), (p) => p.length === 0, {
      timeoutMs: 30_000,
      intervalMs: 500,
      what: 'every query to return its series',
    }).catch(async (error: unknown) => {
      // Name each failing query, not just the last poll's JSON.
      const left = await evaluate(prometheus!, queries, VALUES);
      throw new Error(`${(error as Error).message.split(';')[0]}:\n${left.join('\n')}`);
    });
    expect(problems).toEqual([]);
    // Prometheus evaluates the rule file itself too, without errors.
    const rules = await prometheus!.api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('rules', {});
    const unhealthy = rules.groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
    expect(unhealthy).toEqual([]);
  });

  it('the worker and Redis alerts fire while the worker cannot reach Redis', async () => {
    await proxy.cut();
    try {
      const queries: Query[] = [
        ...alertQueries(ALERTS_OUTAGE),
        // Figures the worker can no longer read are withdrawn rather than shown stale.
        { name: 'Redis-derived gauges', expr: 'turbine_tasks_running or turbine_tenant_usage', expect: { none: true } },
        { name: 'metrics exporter', expr: 'turbine_metrics_exporter == 1', expect: { none: true } },
      ];
      await pollUntil(() => evaluate(prometheus!, queries), (p) => p.length === 0, {
        timeoutMs: 15_000,
        intervalMs: 250,
        what: 'TurbineNoWorkerReady and TurbineRedisUnreachable to fire',
      });
      // The scrape still answers during the outage.
      expect(await prometheus!.query('up{job="turbine-worker"} == 1')).toHaveLength(2);
    } finally {
      await proxy.open();
    }
    await pollUntil(async () => workers.flatMap((w) => w.readinessProblems()), (p) => p.length === 0, {
      timeoutMs: 15_000,
      what: 'the workers to reconnect',
    });
  });

  it('when the exporting worker stops, the other one takes over the Redis-derived gauges', async () => {
    const exporter = await pollUntil(
      () => prometheus!.query('turbine_metrics_exporter == 1'),
      (result) => result.length === 1,
      { timeoutMs: 15_000, intervalMs: 200, what: 'one exporting worker' },
    );
    const leader = workers.find((w) => exporter[0]!.metric.instance === prometheus!.instance(healthPortOf(w)))!;
    const other = workers.find((w) => w !== leader)!;
    await leader.close({ force: true });
    workers = [other];
    const held = await pollUntil(
      () => prometheus!.query('turbine_tasks_held{tenant="alpha"}'),
      (result) => result.length === 1 && result[0]!.metric.instance === prometheus!.instance(healthPortOf(other)),
      { timeoutMs: 15_000, intervalMs: 200, what: 'the other worker to export the gauges' },
    );
    expect(Number(held[0]!.value[1])).toBeGreaterThan(0);
  });
});
