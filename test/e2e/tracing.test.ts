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
}

let world: TestWorld;
let worker: WorkerProcess;
let double: TaskDefinition<[number], number>;

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  world = new TestWorld();
  await world.tenant('acme');
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

  it('a refused submission ends its span with the reason and an error status', async () => {
    await world.manager.updateTenant('acme', { enabled: false });
    await expect(double.applyAsync({ args: [1], tenantId: 'acme' })).rejects.toBeInstanceOf(TenantDisabledError);
    const refused = exporter.getFinishedSpans().find((s) => s.attributes['turbine.refusal_reason'] === 'disabled');
    expect(refused?.status.code).toBe(SpanStatusCode.ERROR);
    expect(refused?.attributes['turbine.placement']).toBeUndefined();
  });
});
