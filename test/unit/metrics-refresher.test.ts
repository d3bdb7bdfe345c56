import { describe, expect, it } from 'vitest';
import { GaugeRefresher, type RefresherOptions } from '../../src/metrics/refresher.js';
import type { MetricsSnapshot } from '../../src/metrics/snapshot.js';

const SNAPSHOT: MetricsSnapshot = { queues: [], tenants: [] };

function refresher(overrides: Partial<RefresherOptions>) {
  const calls: string[] = [];
  const reports: { exported: boolean; error?: Error }[] = [];
  const options: RefresherOptions = {
    intervalMs: 60_000,
    timeoutMs: 50,
    canRead: () => true,
    read: async () => SNAPSHOT,
    apply: () => calls.push('apply'),
    clear: () => calls.push('clear'),
    report: (r) => reports.push({ exported: r.exported, ...(r.error ? { error: r.error } : {}) }),
    ...overrides,
  };
  return { refresher: new GaugeRefresher(options), calls, reports };
}

describe('GaugeRefresher', () => {
  it('applies the snapshot of the elected replica', async () => {
    const { refresher: r, calls, reports } = refresher({});
    await r.tick();
    expect(calls).toEqual(['apply']);
    expect(reports).toEqual([{ exported: true }]);
  });

  it('clears the gauges when this replica is not the elected one', async () => {
    const { refresher: r, calls, reports } = refresher({ read: async () => null });
    await r.tick();
    expect(calls).toEqual(['clear']);
    expect(reports).toEqual([{ exported: false }]);
  });

  it('does not read while Redis is not connected, and clears the gauges', async () => {
    let reads = 0;
    const { refresher: r, calls } = refresher({ canRead: () => false, read: async () => (reads++, SNAPSHOT) });
    await r.tick();
    expect(reads).toBe(0);
    expect(calls).toEqual(['clear']);
  });

  it('clears on a failed read and reports the error', async () => {
    const { refresher: r, calls, reports } = refresher({ read: async () => Promise.reject(new Error('NOSCRIPT or worse')) });
    await r.tick();
    expect(calls).toEqual(['clear']);
    expect(reports[0]?.error?.message).toBe('NOSCRIPT or worse');
  });

  it('times out a hung read, and starts no other read until it settles (no pile-up)', async () => {
    let reads = 0;
    let finish: (s: MetricsSnapshot | null) => void = () => undefined;
    const hung = new Promise<MetricsSnapshot | null>((resolve) => (finish = resolve));
    const { refresher: r, calls, reports } = refresher({ read: () => (reads++, hung) });
    await r.tick();
    expect(calls).toEqual(['clear']);
    expect(reports[0]?.error?.message).toMatch(/longer than 50 ms/);
    await r.tick();
    await r.tick();
    expect(reads).toBe(1);
    finish(SNAPSHOT);
    await hung;
    await new Promise((resolve) => setImmediate(resolve));
    await r.tick();
    expect(reads).toBe(2);
    expect(calls.at(-1)).toBe('apply');
  });

  it('applies nothing after stop()', async () => {
    let finish: (s: MetricsSnapshot | null) => void = () => undefined;
    const { refresher: r, calls } = refresher({ timeoutMs: 1000, read: () => new Promise((resolve) => (finish = resolve)) });
    const tick = r.tick();
    r.stop();
    finish(SNAPSHOT);
    await tick;
    expect(calls).toEqual([]);
  });
});
