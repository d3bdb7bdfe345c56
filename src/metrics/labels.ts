/**
 * Bounded label values. Every distinct label value is a time series
 * in Prometheus for as long as the process lives, so a label fed by data (tenant ids, task
 * names from jobs added by hand) must not grow without limit: the first `max` distinct values
 * keep their own label, later ones share {@link OTHER_LABEL}. A value once given its own label
 * keeps it, because a counter that changed label mid-life would break `rate()`.
 */

/** The label value shared by everything over the limit or outside the allow-list. */
export const OTHER_LABEL = '__other__';

/** Defaults for the labels that come from data. */
export const DEFAULT_MAX_TENANTS = 500;
/** Queues and tasks come from code, not data; the limits only guard against surprises. */
export const MAX_QUEUE_LABELS = 200;
export const MAX_TASK_LABELS = 500;

export interface BoundedLabelOptions {
  /** Most distinct values with a label of their own. */
  max: number;
  /** If not empty, only these values may have a label of their own. */
  allow?: readonly string[];
}

export class BoundedLabel {
  private readonly max: number;
  private readonly allow: ReadonlySet<string> | null;
  private readonly admitted = new Set<string>();

  constructor(options: BoundedLabelOptions) {
    if (!Number.isInteger(options.max) || options.max < 0) {
      throw new RangeError(`The most label values must be a non-negative integer, got ${options.max}`);
    }
    this.max = options.max;
    this.allow = options.allow && options.allow.length > 0 ? new Set(options.allow) : null;
  }

  /** The label value for `value`: itself while the budget lasts, else {@link OTHER_LABEL}. */
  label(value: string): string {
    if (this.admitted.has(value)) return value;
    // An empty value (a task whose tenant could not be read) has no identity to keep.
    if (value === '' || value === OTHER_LABEL) return OTHER_LABEL;
    if (this.allow && !this.allow.has(value)) return OTHER_LABEL;
    if (this.admitted.size >= this.max) return OTHER_LABEL;
    this.admitted.add(value);
    return value;
  }

  /**
   * The label value for `value` without giving it one of its own: for values that must not
   * spend the budget (a tenant that does not exist, named by whoever submits).
   */
  peek(value: string): string {
    return this.admitted.has(value) ? value : OTHER_LABEL;
  }

  /** Values that have a label of their own so far. */
  get size(): number {
    return this.admitted.size;
  }
}

/** The three bounded labels of a process's metrics. */
export interface MetricLabels {
  tenant: BoundedLabel;
  queue: BoundedLabel;
  task: BoundedLabel;
}

export function createMetricLabels(options: { maxTenants?: number; tenants?: readonly string[] } = {}): MetricLabels {
  return {
    tenant: new BoundedLabel({ max: options.maxTenants ?? DEFAULT_MAX_TENANTS, allow: options.tenants ?? [] }),
    queue: new BoundedLabel({ max: MAX_QUEUE_LABELS }),
    task: new BoundedLabel({ max: MAX_TASK_LABELS }),
  };
}
