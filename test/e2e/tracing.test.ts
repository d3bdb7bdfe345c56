import { SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantDisabledError } from '../../src/core/errors.js';
import type { TaskDefinition } from '../../src/tasks/task.js';
import { pollUntil } from '../helpers/context.js';
import { WorkerProcess } from '../helpers/processes.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * OpenTelemetry traces across processes: this test is the producer, with the SDK's in-memory
 * exporter; a real `turbine-worker` process runs test/fixtures/traced-app.mjs, whose SDK writes
 * the spans it ends to Redis.
 */

const TRACED_APP = path.resolve(import.meta.dirname, '../fixtures/traced-app.mjs');
const exporter = new InMemorySpanExporter();

interface WorkerSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
  status: number;
  pid: number;
  startMs: number;
  endMs: number;
}

async function workerSpans(accept: (spans: WorkerSpan[]) => boolean, what: string): Promise<WorkerSpan[]> {
  return pollUntil(
    async () => (await world.raw.lrange(`${world.prefix}:spans`, 0, -1)).map((row) => JSON.parse(row) as WorkerSpan),
    accept,
    { what },
  );
}

let world: TestWorld;
let worker: WorkerProcess;
let double: TaskDefinition<[number], number>;

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  world = new TestWorld();
  await world.tenant('acme');
  await world.tenant('capped', { maxConcurrentTasks: 1 });
  // The producer side of the fixture's task: same name and queue; the worker runs it.
  double = world.app.task({ name: 'double', queue: 'traced', retries: 0 }, async (n: number) => n * 2);
  worker = await WorkerProcess.start({ url: world.url, prefix: world.prefix, app: TRACED_APP });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await world?.close();
  trace.disable();
  propagation.disable();
});

describe('traces', { timeout: 60_000 }, () => {
  it('one submission yields one trace: turbine.submit in the producer, turbine.run under it in the worker', async () => {
    const result = await double.applyAsync({ args: [21], tenantId: 'acme' });
    expect(await result.get({ timeoutMs: 20_000 })).toBe(42);

    const submit = exporter.getFinishedSpans().find((s) => s.name === 'turbine.submit' && s.attributes['messaging.message.id'] === result.taskId);
    expect(submit).toBeDefined();
    expect(submit!.kind).toBe(SpanKind.PRODUCER);
    expect(submit!.attributes).toMatchObject({
      'messaging.system': 'turbine',
      'messaging.destination.name': 'traced',
      'turbine.tenant_id': 'acme',
      'turbine.task': 'double',
      'turbine.placement': 'queued',
    });

    const runs = await pollUntil(
      async () => (await world.raw.lrange(`${world.prefix}:spans`, 0, -1)).map((row) => JSON.parse(row) as WorkerSpan),
      (spans) => spans.some((s) => s.name === 'turbine.run' && s.attributes['messaging.message.id'] === result.taskId),
      { what: "the worker's turbine.run span" },
    );
    const run = runs.find((s) => s.attributes['messaging.message.id'] === result.taskId)!;
    expect(run.pid).toBe(worker.pid);
    expect(run.pid).not.toBe(process.pid);
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.traceId).toBe(submit!.spanContext().traceId);
    expect(run.parentSpanId).toBe(submit!.spanContext().spanId);
    expect(run.attributes).toMatchObject({
      'turbine.task': 'double',
      'turbine.attempt': 1,
      'turbine.outcome': 'succeeded',
      'turbine.tenant_id': 'acme',
    });
  });

  it('a task held back at its cap has a turbine.held span in its trace: from held to promoted, and why', async () => {
    // Admitted together at a cap of 1: the first is queued, the other two held until it ends.
    const outcomes = await double.applyBulk([1, 2, 3].map((n) => ({ args: [n] as [number], tenantId: 'capped' })));
    const ids = outcomes.map((o) => {
      if (!o.ok) throw o.error;
      return o.result.taskId;
    });
    const spans = await workerSpans(
      (all) => ids.every((id) => all.some((s) => s.name === 'turbine.run' && s.attributes['messaging.message.id'] === id && s.attributes['turbine.tenant_id'] === 'capped')) &&
        all.filter((s) => s.name === 'turbine.held' && s.attributes['turbine.tenant_id'] === 'capped').length >= 2,
      'three runs and two held spans',
    );
    const submits = exporter.getFinishedSpans().filter((s) => s.name === 'turbine.submit' && s.attributes['turbine.tenant_id'] === 'capped');
    const submitOf = (id: string) => submits.find((s) => s.attributes['messaging.message.id'] === id)!;
    const heldOf = (id: string) => spans.filter((s) => s.name === 'turbine.held' && s.attributes['messaging.message.id'] === id);

    expect(submitOf(ids[0]!).attributes['turbine.placement']).toBe('queued');
    expect(heldOf(ids[0]!)).toEqual([]);
    for (const id of ids.slice(1)) {
      const submit = submitOf(id);
      expect(submit.attributes['turbine.placement']).toBe('held');
      const [held, ...more] = heldOf(id);
      expect(more).toEqual([]);
      expect(held!.pid).toBe(worker.pid);
      expect(held!.kind).toBe(SpanKind.INTERNAL);
      expect(held!.traceId).toBe(submit.spanContext().traceId);
      expect(held!.parentSpanId).toBe(submit.spanContext().spanId);
      expect(held!.attributes).toMatchObject({
        'messaging.system': 'turbine',
        'messaging.destination.name': 'traced',
        'turbine.task': 'double',
        'turbine.tenant_id': 'capped',
        'turbine.held_reason': 'cap',
      });
      // The span covers the hold: its times are the ones the dispatcher recorded.
      expect(held!.endMs - held!.startMs).toBeCloseTo(held!.attributes['turbine.held_ms'] as number, 0);
      const run = spans.find((s) => s.name === 'turbine.run' && s.attributes['messaging.message.id'] === id)!;
      expect(run.startMs).toBeGreaterThanOrEqual(held!.endMs);
    }
  });

  it('a refused submission ends its span with the reason and an error status', async () => {
    await world.manager.updateTenant('acme', { enabled: false });
    await expect(double.applyAsync({ args: [1], tenantId: 'acme' })).rejects.toBeInstanceOf(TenantDisabledError);
    const refused = exporter.getFinishedSpans().find((s) => s.attributes['turbine.refusal_reason'] === 'disabled');
    expect(refused?.status.code).toBe(SpanStatusCode.ERROR);
    expect(refused?.attributes['turbine.placement']).toBeUndefined();
  });
});
