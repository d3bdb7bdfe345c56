import { describe, expect, it } from 'vitest';
import { BoundedLabel, OTHER_LABEL, createMetricLabels } from '../../src/metrics/labels.js';

describe('BoundedLabel', () => {
  it('gives the first `max` distinct values a label of their own and the rest __other__', () => {
    const labels = new BoundedLabel({ max: 2 });
    expect(labels.label('acme')).toBe('acme');
    expect(labels.label('globex')).toBe('globex');
    expect(labels.label('initech')).toBe(OTHER_LABEL);
    expect(labels.label('umbrella')).toBe(OTHER_LABEL);
    expect(labels.size).toBe(2);
  });

  it('keeps a value its label for good, so a counter never changes series mid-life', () => {
    const labels = new BoundedLabel({ max: 1 });
    expect(labels.label('acme')).toBe('acme');
    expect(labels.label('globex')).toBe(OTHER_LABEL);
    expect(labels.label('acme')).toBe('acme');
    expect(labels.label('globex')).toBe(OTHER_LABEL);
  });

  it('with an allow-list, labels only the listed values, still within the limit', () => {
    const labels = new BoundedLabel({ max: 2, allow: ['vip-1', 'vip-2', 'vip-3'] });
    expect(labels.label('free-tier')).toBe(OTHER_LABEL);
    expect(labels.label('vip-2')).toBe('vip-2');
    expect(labels.label('vip-1')).toBe('vip-1');
    expect(labels.label('vip-3')).toBe(OTHER_LABEL);
    expect(labels.size).toBe(2);
  });

  it('treats an empty allow-list as no allow-list', () => {
    expect(new BoundedLabel({ max: 5, allow: [] }).label('anyone')).toBe('anyone');
  });

  it('sends an empty value (unknown tenant) and the reserved value itself to __other__ without using the budget', () => {
    const labels = new BoundedLabel({ max: 1 });
    expect(labels.label('')).toBe(OTHER_LABEL);
    expect(labels.label(OTHER_LABEL)).toBe(OTHER_LABEL);
    expect(labels.size).toBe(0);
    expect(labels.label('acme')).toBe('acme');
  });

  it('never holds more than `max` values however many it sees', () => {
    const labels = new BoundedLabel({ max: 500 });
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(labels.label(`tenant-${i}`));
    expect(seen.size).toBe(501);
    expect(labels.size).toBe(500);
  });

  it('refuses a limit that is not a non-negative integer', () => {
    expect(() => new BoundedLabel({ max: -1 })).toThrow(RangeError);
    expect(() => new BoundedLabel({ max: 1.5 })).toThrow(/non-negative integer/);
  });

  it('createMetricLabels bounds tenants by the options (default 500) and queues and tasks by fixed limits', () => {
    const labels = createMetricLabels({ maxTenants: 1, tenants: [] });
    expect(labels.tenant.label('a')).toBe('a');
    expect(labels.tenant.label('b')).toBe(OTHER_LABEL);
    expect(labels.queue.label('emails')).toBe('emails');
    expect(labels.task.label('send')).toBe('send');
    const defaults = createMetricLabels();
    for (let i = 0; i < 600; i++) defaults.tenant.label(`t${i}`);
    expect(defaults.tenant.size).toBe(500);
  });
});
