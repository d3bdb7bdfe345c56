import { register as globalRegistry, type Registry } from 'prom-client';
import type { ProducerEvents, Turbine } from '../tasks/app.js';
import { createProducerMetrics } from './definitions.js';
import { createMetricLabels } from './labels.js';

export interface ProducerMetricsOptions {
  /**
   * Where the counters are registered; serve it at your service's `/metrics`.
   * @defaultValue prom-client's global `register`
   */
  registry?: Registry;
  /**
   * Most distinct tenant label values; submissions of further tenants count as `__other__`.
   * @defaultValue 500
   */
  maxTenants?: number;
  /**
   * If set, only these tenants get a label value of their own.
   * @defaultValue [] (every tenant, up to `maxTenants`)
   */
  tenants?: string[];
}

export interface ProducerMetrics {
  registry: Registry;
  /** Stops counting this app's submissions (the counters stay registered). */
  stop(): void;
}

/**
 * Counts a Turbine app's submissions where they happen, in the producer process:
 * `turbine_tasks_submitted_total{tenant,queue}` and
 * `turbine_tasks_rejected_total{tenant,queue,reason}`. Workers never see refused tasks, so
 * these can only be counted here. Serve the registry yourself, e.g. with Express:
 *
 * ```ts
 * const { registry } = instrumentProducer(app);
 * server.get('/metrics', async (_req, res) => {
 *   res.set('content-type', registry.contentType).send(await registry.metrics());
 * });
 * ```
 */
export function instrumentProducer(app: Turbine, options: ProducerMetricsOptions = {}): ProducerMetrics {
  const registry = options.registry ?? globalRegistry;
  const metrics = createProducerMetrics(registry);
  const labels = createMetricLabels(options);

  const submitted = (e: ProducerEvents['task:submitted']): void => {
    // A duplicate is answered with the task submitted earlier: nothing new was accepted.
    if (e.placement === 'duplicate') return;
    metrics.submitted.inc({ tenant: labels.tenant.label(e.tenantId), queue: labels.queue.label(e.queue) });
  };
  const rejected = (e: ProducerEvents['task:rejected']): void => {
    // Anyone can name a tenant that does not exist: such names never take one of the labels.
    const tenant = e.reason === 'not_found' ? labels.tenant.peek(e.tenantId) : labels.tenant.label(e.tenantId);
    metrics.rejected.inc({ tenant, queue: labels.queue.label(e.queue), reason: e.reason });
  };
  app.on('task:submitted', submitted);
  app.on('task:rejected', rejected);
  return {
    registry,
    stop: () => {
      app.off('task:submitted', submitted);
      app.off('task:rejected', rejected);
    },
  };
}
