import type { WorkerRuntime } from '../worker/runtime.js';

export interface MetricsHandle {
  close(): Promise<void>;
}

/** Per-tenant Prometheus metrics of a worker, served at /metrics (the metrics issue fills this in). */
export function attachWorkerMetrics(_runtime: WorkerRuntime): MetricsHandle {
  return { close: async () => undefined };
}
