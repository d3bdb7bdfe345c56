import type { TaskOutcome, WorkerEvents } from '../worker/events.js';
import { DURATION_BUCKETS, WAIT_BUCKETS, type TaskMetricSet } from './definitions.js';
import type { MetricLabels } from './labels.js';
import { CounterSeries, HistogramSeries } from './series.js';

/** The part of a worker runtime the recorder listens to. */
export interface WorkerEventSource {
  on<E extends keyof WorkerEvents & string>(event: E, listener: (payload: WorkerEvents[E]) => void): unknown;
  off<E extends keyof WorkerEvents & string>(event: E, listener: (payload: WorkerEvents[E]) => void): unknown;
}

type TaskRef = Pick<WorkerEvents['task:started'], 'tenantId' | 'queue' | 'task' | 'taskId'>;

/** The series one (tenant, queue, task) feeds, looked up once rather than by labels per task. */
interface TaskSeries {
  labels: { tenant: string; queue: string; task: string };
  started: CounterSeries<'tenant' | 'queue' | 'task'>;
  wait: HistogramSeries<'tenant' | 'queue'>;
  duration: HistogramSeries<'tenant' | 'queue' | 'task'>;
  finished: Partial<Record<TaskOutcome, CounterSeries<'tenant' | 'queue' | 'task' | 'outcome'>>>;
}

/** Past this many cached series the cache starts over (series themselves stay registered). */
const MAX_CACHED_SERIES = 10_000;

/**
 * Turns a worker's task events into its process-local counters and histograms. Each replica
 * counts only what it ran, so these add up across replicas with sum().
 */
export class TaskEventRecorder {
  /** tenant → queue → task → series: no key to build per task. */
  private readonly series = new Map<string, Map<string, Map<string, TaskSeries>>>();
  private cached = 0;

  constructor(
    private readonly metrics: TaskMetricSet,
    private readonly labels: MetricLabels,
  ) {}

  readonly started = (e: WorkerEvents['task:started']): void => {
    const series = this.seriesOf(e);
    series.started.inc();
    if (e.waitMs !== null) series.wait.observe(e.waitMs / 1000);
  };

  readonly finished = (e: WorkerEvents['task:finished']): void => {
    const series = this.seriesOf(e);
    (series.finished[e.outcome] ??= new CounterSeries(this.metrics.finished, { ...series.labels, outcome: e.outcome })).inc();
    // Tasks dead-lettered without running (unknown name, stalled too often) have no duration.
    if (e.durationMs !== null) series.duration.observe(e.durationMs / 1000);
  };

  readonly deadLettered = (e: WorkerEvents['task:dead-lettered']): void => {
    this.metrics.deadLettered.inc({ ...this.queueLabels(e), reason: e.reason });
  };

  readonly resultRejected = (e: WorkerEvents['result:rejected']): void => {
    this.metrics.resultsRejected.inc(this.queueLabels(e));
  };

  readonly reconcilerPass = (e: WorkerEvents['reconciler:pass']): void => {
    this.metrics.reconcilerPasses.inc();
    const repairs = this.metrics.reconcilerRepairs;
    repairs.inc({ kind: 'promoted' }, e.promoted);
    repairs.inc({ kind: 'leases_dropped' }, e.leasesDropped);
    repairs.inc({ kind: 'slots_dropped' }, e.slotsDropped);
    repairs.inc({ kind: 'deferred_dropped' }, e.deferredDropped);
    repairs.inc({ kind: 'stray_fetches' }, e.strayFetches);
  };

  /** Listens to a worker's events; returns how to stop. */
  subscribe(source: WorkerEventSource): () => void {
    source.on('task:started', this.started);
    source.on('task:finished', this.finished);
    source.on('task:dead-lettered', this.deadLettered);
    source.on('result:rejected', this.resultRejected);
    source.on('reconciler:pass', this.reconcilerPass);
    return () => {
      source.off('task:started', this.started);
      source.off('task:finished', this.finished);
      source.off('task:dead-lettered', this.deadLettered);
      source.off('result:rejected', this.resultRejected);
      source.off('reconciler:pass', this.reconcilerPass);
    };
  }

  private seriesOf(e: TaskRef): TaskSeries {
    // Label values are stable once given (labels.ts), so the raw values can key the cache.
    const cached = this.cachedSeries(e.tenantId, e.queue, e.task);
    if (cached) return cached;
    if (this.cached >= MAX_CACHED_SERIES) {
      this.series.clear();
      this.cached = 0;
    }
    const labels = this.taskLabels(e);
    // Tenants past the label budget share the `__other__` series: made once, not per tenant
    // (with thousands of tenants, most of them).
    let series = this.cachedSeries(labels.tenant, labels.queue, labels.task);
    if (!series) {
      series = {
        labels,
        started: new CounterSeries(this.metrics.started, labels),
        wait: new HistogramSeries(this.metrics.wait, { tenant: labels.tenant, queue: labels.queue }, WAIT_BUCKETS),
        duration: new HistogramSeries(this.metrics.duration, labels, DURATION_BUCKETS),
        finished: {},
      };
      this.cache(labels.tenant, labels.queue, labels.task, series);
    }
    if (labels.tenant !== e.tenantId || labels.queue !== e.queue || labels.task !== e.task) this.cache(e.tenantId, e.queue, e.task, series);
    return series;
  }

  private cachedSeries(tenant: string, queue: string, task: string): TaskSeries | undefined {
    return this.series.get(tenant)?.get(queue)?.get(task);
  }

  private cache(tenant: string, queue: string, task: string, series: TaskSeries): void {
    let byQueue = this.series.get(tenant);
    if (!byQueue) this.series.set(tenant, (byQueue = new Map()));
    let byTask = byQueue.get(queue);
    if (!byTask) byQueue.set(queue, (byTask = new Map()));
    byTask.set(task, series);
    this.cached += 1;
  }

  private queueLabels(e: TaskRef): { tenant: string; queue: string } {
    return { tenant: this.labels.tenant.label(e.tenantId), queue: this.labels.queue.label(e.queue) };
  }

  private taskLabels(e: TaskRef): { tenant: string; queue: string; task: string } {
    return { ...this.queueLabels(e), task: this.labels.task.label(e.task) };
  }
}
