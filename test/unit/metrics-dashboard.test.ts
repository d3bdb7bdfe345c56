import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createProducerMetrics, createRedisGauges, createTaskMetrics } from '../../src/metrics/definitions.js';
import { createWorkerGauges } from '../../src/metrics/process-gauges.js';

/**
 * Keeps the dashboard, the alert rules and the docs in step with the metrics the code defines.
 * (test/e2e/prometheus.test.ts then runs every query against a real Prometheus.)
 */

const read = (file: string): string => readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  fieldConfig?: { defaults: { unit?: string } };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(read('charts/turbine-worker/dashboards/turbine-overview.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; allValue?: string }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

const rules = (parseYaml(read('charts/turbine-worker/rules/turbine-alerts.yaml')) as {
  groups: { rules: { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
}).groups.flatMap((g) => g.rules);

/** Every series name Turbine's code can export (histograms with their suffixes). */
function exportedNames(): Set<string> {
  const registry = new Registry();
  createProducerMetrics(registry);
  createTaskMetrics(registry);
  createRedisGauges(registry);
  createWorkerGauges(registry, { ready: () => true, redisReady: () => true, running: () => 0 }, 'test');
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    names.add(metric.name);
    if (metric.type.toString() === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
  }
  return names;
}

const EXPORTED = exportedNames();
const metricsIn = (expr: string): string[] => [...new Set(expr.match(/\bturbine_[a-z_]+\b/g) ?? [])];

/** GitHub's anchor of a Markdown heading. */
const anchor = (heading: string): string => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

describe('the Grafana dashboard', () => {
  it('has a fixed uid and the variables datasource → namespace → queue → tenant', () => {
    expect(dashboard.uid).toBe('turbine-overview');
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['namespace', 'query'],
      ['queue', 'query'],
      ['tenant', 'query'],
    ]);
    const [, namespace, queue, tenant] = dashboard.templating.list;
    expect(JSON.stringify(namespace!.query)).toContain('namespace)');
    expect(JSON.stringify(queue!.query)).toContain('$namespace');
    expect(JSON.stringify(tenant!.query)).toMatch(/\$namespace.*\$queue/);
    expect([queue!.allValue, tenant!.allValue]).toEqual(['.*', '.*']);
  });

  it('gives every panel a unit and the datasource variable', () => {
    expect(panels.length).toBeGreaterThan(15);
    for (const panel of panels) {
      expect(panel.fieldConfig?.defaults.unit, `unit of '${panel.title}'`).toMatch(/\S/);
      expect(panel.datasource?.uid, `datasource of '${panel.title}'`).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe('${datasource}');
    }
  });

  it('filters every query on $namespace and uses $__rate_interval for every rate()', () => {
    for (const { panel, refId, expr } of targets) {
      const where = `${panel} / ${refId}: ${expr}`;
      expect(expr, where).toContain('namespace=~"$namespace"');
      for (const range of expr.match(/\[[^\]]*\]/g) ?? []) expect(range, where).toBe('[$__rate_interval]');
    }
  });

  it('queries only metrics that Turbine exports', () => {
    for (const { panel, refId, expr } of targets) {
      const metrics = metricsIn(expr);
      expect(metrics.length, `${panel} / ${refId}`).toBeGreaterThan(0);
      for (const name of metrics) expect(EXPORTED, `${panel} / ${refId} uses ${name}`).toContain(name);
    }
  });

  it('aggregates the Redis-derived gauges with max by, so a leader change does not double them', () => {
    const redisGauges = new Registry();
    createRedisGauges(redisGauges);
    const names = redisGauges.getMetricsAsArray().map((m) => m.name);
    for (const { panel, expr } of targets) {
      for (const name of names) {
        if (!new RegExp(`\\b${name}\\b`).test(expr)) continue;
        expect(expr, `${panel}: ${name} must be wrapped in max by (...)`).toMatch(new RegExp(`max(?: by \\([^)]*\\))? \\(${name}\\b`));
      }
    }
  });
});

describe('the alert rules', () => {
  const alertsDoc = read('docs/alerts.md');
  const headings = new Set([...alertsDoc.matchAll(/^## (.+)$/gm)].map((m) => anchor(m[1]!)));

  it('cover the alerts of the issue', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'TurbineDeadLetterQueueGrowing',
      'TurbineNoWorkerReady',
      'TurbineRedisMemoryHigh',
      'TurbineRedisUnreachable',
      'TurbineTenantDailyQuotaHigh',
      'TurbineTenantHeldTooLong',
      'TurbineTenantHourlyQuotaHigh',
    ]);
  });

  it('each have a severity, a summary, a description and a runbook_url into a section of docs/alerts.md', () => {
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const url = rule.annotations?.runbook_url ?? '';
      expect(url, rule.alert).toMatch(/\/docs\/alerts\.md#[\w-]+$/);
      expect(headings, `${rule.alert}: no heading for ${url}`).toContain(url.split('#')[1]);
      expect(url.split('#')[1]).toBe(anchor(rule.alert));
    }
  });

  it('use only metrics that Turbine exports', () => {
    for (const rule of rules) {
      for (const name of metricsIn(rule.expr)) expect(EXPORTED, `${rule.alert} uses ${name}`).toContain(name);
    }
  });

  it('have a firing and a not-firing case each in the promtool test file', () => {
    const tests = (parseYaml(read('charts/turbine-worker/rules/turbine-alerts.test.yaml')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    }).tests.flatMap((t) => t.alert_rule_test);
    for (const rule of rules) {
      const cases = tests.filter((t) => t.alertname === rule.alert);
      expect(cases.some((c) => c.exp_alerts.length > 0), `${rule.alert} firing`).toBe(true);
      expect(cases.some((c) => c.exp_alerts.length === 0), `${rule.alert} not firing`).toBe(true);
    }
  });
});

describe('docs/metrics.md', () => {
  const doc = read('docs/metrics.md');

  it('describes every metric Turbine exports', () => {
    for (const name of EXPORTED) {
      if (/_(bucket|sum|count)$/.test(name)) continue;
      expect(doc, name).toContain(`\`${name}\``);
    }
  });

  it('names no metric that does not exist', () => {
    for (const name of metricsIn(doc)) expect(EXPORTED, name).toContain(name);
  });
});
