import { attachWorkerMetrics } from '../metrics/worker.js';
import { WorkerRuntime, type StartWorkerOptions } from './runtime.js';

/**
 * Starts a worker with its observers attached (the composition root: the runtime itself
 * imports none of them). `await handle.ready()` to wait until it consumes, `handle.close()`
 * to stop.
 */
export async function startWorker(options: StartWorkerOptions): Promise<WorkerRuntime> {
  const runtime = new WorkerRuntime(options);
  await runtime.start((worker) => (worker.config.metrics.enabled ? [attachWorkerMetrics(worker)] : []));
  return runtime;
}
