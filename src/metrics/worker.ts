import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Attachment, ObservedWorker } from '../worker/observed.js';
import { createRedisGauges, createTaskMetrics } from './definitions.js';
import { createMetricLabels } from './labels.js';
import { createWorkerGauges } from './process-gauges.js';
import { applySnapshot, clearRedisGauges } from './redis-gauges.js';
import { GaugeRefresher } from './refresher.js';
import { SnapshotReader } from './snapshot.js';
import { TaskEventRecorder } from './task-events.js';
import { TURBINE_VERSION } from '../core/version.js';

const registries = new WeakMap<ObservedWorker, Registry>();

/**
 * Per-tenant Prometheus metrics of a worker, served at `/metrics` on its health port:
 * - counters and histograms of the tasks this process ran (sum them across replicas);
 * - gauges read from Redis in one script call per refresh, exported only while this worker
 *   is the elected reconciler replica (so replicas do not count the same tenants twice);
 * - facts about this process (ready, Redis connection, version) and Node's default metrics.
 * Each worker has a registry of its own, so several workers in one process do not collide.
 */
export function attachWorkerMetrics(runtime: ObservedWorker): Attachment {
  const config = runtime.config.metrics;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = createMetricLabels({ maxTenants: config.maxTenants, tenants: config.tenants });

  const recorder = new TaskEventRecorder(createTaskMetrics(registry), labels);
  const unsubscribe = recorder.subscribe(runtime);

  // The client was just created; from here on its transitions arrive as events.
  let redisReady = runtime.redis.status === 'ready';
  const onRedisStatus = ({ ready }: { ready: boolean }): void => {
    redisReady = ready;
  };
  runtime.on('redis:status', onRedisStatus);
  const worker = createWorkerGauges(
    registry,
    {
      ready: () => runtime.readinessProblems().length === 0,
      redisReady: () => redisReady,
      running: () => runtime.runningCount,
    },
    TURBINE_VERSION,
  );

  const gauges = createRedisGauges(registry);
  const snapshots = new SnapshotReader(runtime.redis, runtime.shards, runtime.id);
  const refresher = new GaugeRefresher({
    intervalMs: config.refreshIntervalMs,
    timeoutMs: Math.max(config.refreshIntervalMs, 2000),
    canRead: () => redisReady,
    read: () => snapshots.read(),
    apply: (snapshot) => applySnapshot(gauges, labels, snapshot),
    clear: () => clearRedisGauges(gauges),
    report: ({ exported, durationMs, error }) => {
      worker.exporter.set(exported ? 1 : 0);
      if (error) worker.refreshFailures.inc();
      else if (durationMs !== undefined) worker.refreshSeconds.set(durationMs / 1000);
    },
  });
  refresher.start();

  runtime.addRoute('/metrics', async (_req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  });
  registries.set(runtime, registry);

  return {
    close: async () => {
      refresher.stop();
      unsubscribe();
      runtime.off('redis:status', onRedisStatus);
    },
  };
}

/**
 * The registry a worker serves at `/metrics` (undefined when its metrics are disabled), for
 * adding metrics of your own, or `instrumentProducer(app, { registry })` when tasks running in
 * the worker submit other tasks.
 */
export function workerMetricsRegistry(runtime: ObservedWorker): Registry | undefined {
  return registries.get(runtime);
}
