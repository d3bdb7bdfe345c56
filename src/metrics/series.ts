import type { Counter, Histogram, LabelValues } from 'prom-client';

/**
 * One labelled series of a prom-client counter or histogram, updated on the path of every task.
 * prom-client's own `inc`/`observe` validate and hash the labels and allocate on every call;
 * these update the series' record in the metric in place, as `inc`/`observe` would, and go
 * through prom-client itself only when the record is missing (first update, or after a reset
 * or a removal). What a scrape reads is unchanged: the records are prom-client's, under the key
 * it gives them (test/unit/metrics-series.test.ts checks both against prom-client's own).
 */

/** prom-client's records of a metric, by the key it derives from their labels. */
interface Records<R> {
  hashMap: Record<string, R | undefined>;
}

interface CounterRecord {
  value: number;
}

interface HistogramRecord {
  /** By bucket bound, as a property name ("0.01"). */
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** prom-client's key of a series: `name:value,` for each label, by name. */
function recordKey(labels: Readonly<Record<string, string>>): string {
  let key = '';
  for (const name of Object.keys(labels).sort()) key += `${name}:${labels[name]},`;
  return key;
}

export class CounterSeries<L extends string> {
  private readonly key: string;

  constructor(
    private readonly counter: Counter<L>,
    private readonly labels: Readonly<Record<L, string>>,
  ) {
    this.key = recordKey(labels);
  }

  inc(): void {
    const record = (this.counter as unknown as Records<CounterRecord>).hashMap[this.key];
    if (record) record.value += 1;
    else this.counter.inc(this.labels as LabelValues<L>);
  }
}

export class HistogramSeries<L extends string> {
  private readonly key: string;
  /** The bounds' property names in the record, made once rather than from each number per task. */
  private readonly bucketNames: readonly string[];

  constructor(
    private readonly histogram: Histogram<L>,
    private readonly labels: Readonly<Record<L, string>>,
    /** The histogram's buckets, as it was created with (ascending). */
    private readonly buckets: readonly number[],
  ) {
    this.key = recordKey(labels);
    this.bucketNames = buckets.map(String);
  }

  observe(value: number): void {
    const record = (this.histogram as unknown as Records<HistogramRecord>).hashMap[this.key];
    if (!record) {
      this.histogram.observe(this.labels as LabelValues<L>, value);
      return;
    }
    // A value past the last bucket counts in +Inf only, which is the series' count.
    const { buckets } = this;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]!) {
        record.bucketValues[this.bucketNames[i]!]! += 1;
        break;
      }
    }
    record.sum += value;
    record.count += 1;
  }
}
