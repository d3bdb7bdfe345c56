import type { WorkerEvents } from '../worker/events.js';
import type { TaskMetricSet } from './definitions.js';
import type { MetricLabels } from './labels.js';

/** The part of a worker runtime the recorder listens to. */
export interface WorkerEventSource {
  on<E extends keyof WorkerEvents & string>(event: E, listener: (payload: WorkerEvents[E]) => void): unknown;
  off<E extends keyof WorkerEvents & string>(event: E, listener: (payload: WorkerEvents[E]) => void): unknown;
}

type TaskRef = Pick<WorkerEvents['task:started'], 'tenantId' | 'queue' | 'task' | 'taskId'>;

/**
 * Turns a worker's task events into its process-local counters and histograms. Each replica
 * counts only what it ran, so these add up across replicas with sum().
 */
export class TaskEventRecorder {
  /** Runs whose handler started here: only those have a duration worth observing. */
  private readonly runs = new Set<string>();

  constructor(
    private readonly metrics: TaskMetricSet,
    private readonly labels: MetricLabels,
  ) {}

  readonly started = (e: WorkerEvents['task:started']): void => {
    this.runs.add(runKey(e));
    this.metrics.started.inc(this.taskLabels(e));
    if (e.waitMs !== null) this.metrics.wait.observe(this.queueLabels(e), e.waitMs / 1000);
  };

  readonly finished = (e: WorkerEvents['task:finished']): void => {
    this.metrics.finished.inc({ ...this.taskLabels(e), outcome: e.outcome });
    // Tasks dead-lettered without running (unknown name, stalled too often) have no duration.
    if (this.runs.delete(runKey(e))) this.metrics.duration.observe(this.taskLabels(e), e.durationMs / 1000);
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

  private queueLabels(e: TaskRef): { tenant: string; queue: string } {
    return { tenant: this.labels.tenant.label(e.tenantId), queue: this.labels.queue.label(e.queue) };
  }

  private taskLabels(e: TaskRef): { tenant: string; queue: string; task: string } {
    return { ...this.queueLabels(e), task: this.labels.task.label(e.task) };
  }
}

function runKey(e: TaskRef): string {
  return `${e.queue}:${e.taskId}`;
}
