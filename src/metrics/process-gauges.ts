import { Counter, Gauge, type Registry } from 'prom-client';

/** What the worker gauges read from the running worker at scrape time. */
export interface WorkerProbe {
  /** The worker answers /readyz with 200: connected to Redis and consuming every queue. */
  ready(): boolean;
  redisReady(): boolean;
  /** Tasks whose handler runs in this process now. */
  running(): number;
}

/**
 * Facts about one worker process. Read at scrape time (cheap, in memory), so they are true
 * even when the refresh of the Redis-derived gauges is stuck on an unreachable Redis.
 */
export function createWorkerGauges(registry: Registry, probe: WorkerProbe, version: string) {
  const registers = [registry];
  const info = new Gauge({
    name: 'turbine_worker_info',
    help: 'Always 1; the version label says which Turbine the worker runs.',
    labelNames: ['version'] as const,
    registers,
  });
  info.set({ version }, 1);
  return {
    info,
    ready: new Gauge({
      name: 'turbine_worker_ready',
      help: '1 when the worker is ready (connected to Redis and consuming every queue), as /readyz answers.',
      registers,
      collect() {
        this.set(probe.ready() ? 1 : 0);
      },
    }),
    redisReady: new Gauge({
      name: 'turbine_worker_redis_ready',
      help: "1 when the worker's connection to Redis is up, 0 while it reconnects.",
      registers,
      collect() {
        this.set(probe.redisReady() ? 1 : 0);
      },
    }),
    running: new Gauge({
      name: 'turbine_worker_tasks_running',
      help: 'Task handlers running in this worker process now.',
      registers,
      collect() {
        this.set(probe.running());
      },
    }),
    exporter: new Gauge({
      name: 'turbine_metrics_exporter',
      help: '1 when this worker is the elected reconciler replica and exports the Redis-derived gauges.',
      registers,
    }),
    refreshSeconds: new Gauge({
      name: 'turbine_metrics_refresh_duration_seconds',
      help: 'How long the last read of the Redis-derived gauges took.',
      registers,
    }),
    refreshFailures: new Counter({
      name: 'turbine_metrics_refresh_failures_total',
      help: 'Reads of the Redis-derived gauges that failed or timed out (the gauges are dropped until the next good read).',
      registers,
    }),
  };
}

export type WorkerGaugeSet = ReturnType<typeof createWorkerGauges>;
