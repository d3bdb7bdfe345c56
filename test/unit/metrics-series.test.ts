import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { CounterSeries, HistogramSeries } from '../../src/metrics/series.js';

const BUCKETS = [0.01, 0.1, 1];
const labelNames = ['tenant', 'queue'] as const;

function metrics() {
  const registry = new Registry();
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames, registers: [registry] });
  const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames, buckets: BUCKETS, registers: [registry] });
  return { registry, counter, histogram };
}

// On a bucket's bound, between bounds, past the last one, zero.
const VALUES = [0.01, 0.05, 0.5, 1, 7, 0, 0.01];

describe('counter and histogram series', () => {
  it('scrape exactly as prom-client inc and observe do, new series and later updates alike', async () => {
    const ours = metrics();
    const theirs = metrics();
    const acme = { tenant: 'acme', queue: 'emails' };
    const globex = { tenant: 'globex', queue: 'emails' };
    const counters = [new CounterSeries(ours.counter, acme), new CounterSeries(ours.counter, globex)];
    const histograms = [new HistogramSeries(ours.histogram, acme, BUCKETS), new HistogramSeries(ours.histogram, globex, BUCKETS)];
    for (const [i, value] of VALUES.entries()) {
      counters[i % 2]!.inc();
      histograms[i % 2]!.observe(value);
      theirs.counter.inc(i % 2 ? globex : acme);
      theirs.histogram.observe(i % 2 ? globex : acme, value);
    }
    expect(await ours.registry.metrics()).toBe(await theirs.registry.metrics());
  });

  it('update the series record in place once prom-client has made it', () => {
    const { counter, histogram } = metrics();
    const labels = { tenant: 'acme', queue: 'emails' };
    const counted = new CounterSeries(counter, labels);
    const observed = new HistogramSeries(histogram, labels, BUCKETS);
    counted.inc();
    observed.observe(0.2);
    const inc = vi.spyOn(counter, 'inc');
    const observe = vi.spyOn(histogram, 'observe');
    counted.inc();
    observed.observe(0.3);
    expect(inc).not.toHaveBeenCalled();
    expect(observe).not.toHaveBeenCalled();
  });

  it('start the series over after the registry is reset', async () => {
    const ours = metrics();
    const theirs = metrics();
    const labels = { tenant: 'acme', queue: 'emails' };
    const counted = new CounterSeries(ours.counter, labels);
    const observed = new HistogramSeries(ours.histogram, labels, BUCKETS);
    counted.inc();
    observed.observe(0.2);
    ours.registry.resetMetrics();
    counted.inc();
    observed.observe(3);
    theirs.counter.inc(labels);
    theirs.histogram.observe(labels, 3);
    expect(await ours.registry.metrics()).toBe(await theirs.registry.metrics());
  });
});
