import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdmissionRequest } from '../../src/dispatcher/admission.js';
import { QuotaExceededError, TaskTooLargeError, TenantDisabledError } from '../../src/core/errors.js';
import { TypedEmitter } from '../../src/core/events.js';
import { createTaskMetrics } from '../../src/metrics/definitions.js';
import { OTHER_LABEL, createMetricLabels } from '../../src/metrics/labels.js';
import { instrumentProducer } from '../../src/metrics/producer.js';
import { TaskEventRecorder } from '../../src/metrics/task-events.js';
import { Turbine } from '../../src/tasks/app.js';
import type { WorkerEvents } from '../../src/worker/events.js';

/** A worker's event surface without a worker. */
class FakeWorker extends TypedEmitter<WorkerEvents> {
  emit<E extends keyof WorkerEvents & string>(event: E, payload: WorkerEvents[E]): void {
    this.safeEmit(event, payload);
  }
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values as Sample[];
}

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const match = (await samples(registry, name)).find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length,
  );
  return match?.value;
}

const ref = (tenantId: string, task = 'send', taskId = '1') => ({ tenantId, queue: 'emails', task, taskId });

describe('TaskEventRecorder', () => {
  function setup(maxTenants = 10) {
    const registry = new Registry();
    const worker = new FakeWorker();
    const recorder = new TaskEventRecorder(createTaskMetrics(registry), createMetricLabels({ maxTenants }));
    const unsubscribe = recorder.subscribe(worker);
    return { registry, worker, unsubscribe };
  }

  it('counts started and finished runs by tenant, queue, task and outcome', async () => {
    const { registry, worker } = setup();
    worker.emit('task:started', { ...ref('acme'), attempt: 1, waitMs: 1500 });
    worker.emit('task:finished', { ...ref('acme'), outcome: 'retried', durationMs: 200 });
    worker.emit('task:started', { ...ref('acme'), attempt: 2, waitMs: null });
    worker.emit('task:finished', { ...ref('acme'), outcome: 'succeeded', durationMs: 300 });
    const labels = { tenant: 'acme', queue: 'emails', task: 'send' };
    expect(await value(registry, 'turbine_tasks_started_total', labels)).toBe(2);
    expect(await value(registry, 'turbine_tasks_finished_total', { ...labels, outcome: 'retried' })).toBe(1);
    expect(await value(registry, 'turbine_tasks_finished_total', { ...labels, outcome: 'succeeded' })).toBe(1);
  });

  it('observes the wait of first runs only, and durations in seconds', async () => {
    const { registry, worker } = setup();
    worker.emit('task:started', { ...ref('acme'), attempt: 1, waitMs: 1500 });
    worker.emit('task:finished', { ...ref('acme'), outcome: 'retried', durationMs: 200 });
    worker.emit('task:started', { ...ref('acme'), attempt: 2, waitMs: null });
    worker.emit('task:finished', { ...ref('acme'), outcome: 'succeeded', durationMs: 300 });
    const wait = await samples(registry, 'turbine_task_wait_seconds');
    expect(wait.find((s) => s.metricName === 'turbine_task_wait_seconds_count')?.value).toBe(1);
    expect(wait.find((s) => s.metricName === 'turbine_task_wait_seconds_sum')?.value).toBe(1.5);
    expect(wait.find((s) => s.metricName === 'turbine_task_wait_seconds_sum')?.labels).toEqual({ tenant: 'acme', queue: 'emails' });
    const duration = await samples(registry, 'turbine_task_duration_seconds');
    expect(duration.find((s) => s.metricName === 'turbine_task_duration_seconds_count')?.value).toBe(2);
    expect(duration.find((s) => s.metricName === 'turbine_task_duration_seconds_sum')?.value).toBeCloseTo(0.5);
  });

  it('gives no duration to a task dead-lettered without running (unknown task, stalled)', async () => {
    const { registry, worker } = setup();
    worker.emit('task:dead-lettered', { ...ref('acme', 'nope'), reason: 'unknown_task' });
    worker.emit('task:finished', { ...ref('acme', 'nope'), outcome: 'dead_lettered', durationMs: null });
    expect(await value(registry, 'turbine_tasks_finished_total', { tenant: 'acme', queue: 'emails', task: 'nope', outcome: 'dead_lettered' })).toBe(1);
    expect(await value(registry, 'turbine_tasks_dead_lettered_total', { tenant: 'acme', queue: 'emails', reason: 'unknown_task' })).toBe(1);
    const duration = await samples(registry, 'turbine_task_duration_seconds');
    expect(duration.filter((s) => s.metricName === 'turbine_task_duration_seconds_count')).toEqual([]);
  });

  it('counts rejected results and reconciler repairs', async () => {
    const { registry, worker } = setup();
    worker.emit('result:rejected', { ...ref('acme'), sizeBytes: 5000, limitBytes: 1000 });
    worker.emit('reconciler:pass', { tenants: 3, promoted: 2, leasesDropped: 1, slotsDropped: 0, deferredDropped: 0, strayFetches: 3, durationMs: 4 });
    expect(await value(registry, 'turbine_results_rejected_total', { tenant: 'acme', queue: 'emails' })).toBe(1);
    expect(await value(registry, 'turbine_reconciler_passes_total', {})).toBe(1);
    expect(await value(registry, 'turbine_reconciler_repairs_total', { kind: 'promoted' })).toBe(2);
    expect(await value(registry, 'turbine_reconciler_repairs_total', { kind: 'leases_dropped' })).toBe(1);
    expect(await value(registry, 'turbine_reconciler_repairs_total', { kind: 'stray_fetches' })).toBe(3);
  });

  it('labels tenants over the limit, and tasks of unknown tenant, as __other__', async () => {
    const { registry, worker } = setup(1);
    worker.emit('task:started', { ...ref('acme'), attempt: 1, waitMs: 1 });
    worker.emit('task:started', { ...ref('globex'), attempt: 1, waitMs: 1 });
    worker.emit('task:started', { ...ref('initech'), attempt: 1, waitMs: 1 });
    worker.emit('task:dead-lettered', { ...ref(''), reason: 'undecodable_payload' });
    const tenants = (await samples(registry, 'turbine_tasks_started_total')).map((s) => [s.labels.tenant, s.value]);
    expect(tenants).toEqual([['acme', 1], [OTHER_LABEL, 2]]);
    expect(await value(registry, 'turbine_tasks_dead_lettered_total', { tenant: OTHER_LABEL, queue: 'emails', reason: 'undecodable_payload' })).toBe(1);
  });

  it('never uses the task id as a label', async () => {
    const { registry, worker } = setup();
    for (let i = 0; i < 20; i++) worker.emit('task:started', { ...ref('acme', 'send', `job-${i}`), attempt: 1, waitMs: 1 });
    const started = await samples(registry, 'turbine_tasks_started_total');
    expect(started).toHaveLength(1);
    expect(JSON.stringify(await registry.metrics())).not.toContain('job-');
  });

  it('stops counting once unsubscribed', async () => {
    const { registry, worker, unsubscribe } = setup();
    unsubscribe();
    worker.emit('task:started', { ...ref('acme'), attempt: 1, waitMs: 1 });
    expect(await samples(registry, 'turbine_tasks_started_total')).toEqual([]);
  });
});

describe('instrumentProducer', () => {
  const apps: Turbine[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  // The app never connects: submissions are reported the way task definitions report them.
  function app(): Turbine {
    const created = new Turbine({ backendUrl: 'redis://127.0.0.1:1', prefix: 'unit' });
    apps.push(created);
    return created;
  }
  const request = (tenantId: string, queue = 'emails'): AdmissionRequest => ({
    tenantId,
    queue,
    taskName: 'send',
    data: '{}',
    argsSize: 2,
    jobOptions: {},
  });

  it('counts accepted submissions (not duplicates) and refusals by reason', async () => {
    const registry = new Registry();
    const turbine = app();
    instrumentProducer(turbine, { registry });
    turbine.reportSubmitted(request('acme'), '1', 'queued');
    turbine.reportSubmitted(request('acme'), '2', 'held');
    turbine.reportSubmitted(request('acme'), '3', 'deferred');
    turbine.reportSubmitted(request('acme'), '1', 'duplicate');
    turbine.reportRejected(request('acme'), new QuotaExceededError('acme', 'hour', 10, null));
    turbine.reportRejected(request('acme'), new QuotaExceededError('acme', 'day', 100, null));
    turbine.reportRejected(request('acme'), new TaskTooLargeError('acme', 5000, 1000));
    turbine.reportRejected(request('acme'), new TenantDisabledError('acme'));
    expect(await value(registry, 'turbine_tasks_submitted_total', { tenant: 'acme', queue: 'emails' })).toBe(3);
    const reasons = Object.fromEntries((await samples(registry, 'turbine_tasks_rejected_total')).map((s) => [s.labels.reason, s.value]));
    expect(reasons).toEqual({ quota_hour: 1, quota_day: 1, too_large: 1, disabled: 1 });
  });

  it('bounds tenants by maxTenants and the allow-list', async () => {
    const registry = new Registry();
    const turbine = app();
    instrumentProducer(turbine, { registry, maxTenants: 5, tenants: ['vip'] });
    turbine.reportSubmitted(request('vip'), '1', 'queued');
    turbine.reportSubmitted(request('free-1'), '2', 'queued');
    turbine.reportSubmitted(request('free-2'), '3', 'queued');
    const tenants = (await samples(registry, 'turbine_tasks_submitted_total')).map((s) => [s.labels.tenant, s.value]);
    expect(tenants).toEqual([['vip', 1], [OTHER_LABEL, 2]]);
  });

  it('shares the counters when two apps are instrumented on one registry, and stop() detaches', async () => {
    const registry = new Registry();
    const first = app();
    const second = app();
    const a = instrumentProducer(first, { registry });
    instrumentProducer(second, { registry });
    first.reportSubmitted(request('acme'), '1', 'queued');
    second.reportSubmitted(request('acme'), '2', 'queued');
    a.stop();
    first.reportSubmitted(request('acme'), '3', 'queued');
    expect(await value(registry, 'turbine_tasks_submitted_total', { tenant: 'acme', queue: 'emails' })).toBe(2);
    expect(a.registry).toBe(registry);
  });

  it('refuses a registry where a Turbine metric name is taken by another kind of metric', async () => {
    const { Gauge } = await import('prom-client');
    const registry = new Registry();
    new Gauge({ name: 'turbine_tasks_submitted_total', help: 'not ours', registers: [registry] });
    expect(() => instrumentProducer(app(), { registry })).toThrow(/not a counter/);
  });
});
