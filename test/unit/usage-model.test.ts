import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  addUsage,
  hoursBetween,
  USAGE_CSV_COLUMNS,
  usageRowFromHash,
  usageRowToCsv,
  usageRowToJson,
} from '../../src/tenancy/usage.js';

/** The usage model: rows from the scripts' hashes, their wire form, and report ranges. */

const hour = new Date('2026-12-05T06:00:00Z');

describe('usage rows', () => {
  it('read a hash as the scripts write it, missing fields as 0, and put it on the wire in snake_case', () => {
    const row = usageRowFromHash('acme', hour, { accepted: '3', rejected_quota_hour: '2', started: '4', handler_ms: '1234', result_bytes: '9' });
    expect(row).toMatchObject({ accepted: 3, started: 4, succeeded: 0, handlerSeconds: 1.234, resultBytes: 9 });
    const json = usageRowToJson(row);
    expect(json).toMatchObject({ tenant_id: 'acme', period_start: '2026-12-05T06:00:00.000Z', rejected: 2, rejected_quota_hour: 2, rejected_disabled: 0, handler_seconds: 1.234 });
    expect(Object.keys(json)).toEqual(USAGE_CSV_COLUMNS);
    expect(usageRowToCsv(row).split(',')).toHaveLength(USAGE_CSV_COLUMNS.length);
  });

  it('add up into days without float drift in handler seconds', () => {
    const day = usageRowFromHash('acme', hour, {});
    for (let i = 0; i < 24; i++) addUsage(day, usageRowFromHash('acme', hour, { accepted: '1', handler_ms: '100', rejected_queue_full: '1' }));
    expect(day).toMatchObject({ accepted: 24, handlerSeconds: 2.4, rejected: { queue_full: 24 } });
  });
});

describe('report ranges', () => {
  it('cover the hour holding from up to to', () => {
    const hours = hoursBetween(new Date('2026-12-05T06:30:00Z'), new Date('2026-12-05T08:10:00Z'));
    expect(hours.map((h) => new Date(h).toISOString().slice(11, 16))).toEqual(['06:00', '07:00', '08:00']);
  });

  it('refuse a reversed range and one over 366 days, saying what to do', () => {
    expect(() => hoursBetween(new Date('2026-12-05'), new Date('2026-12-04'))).toThrow(InvalidArgumentError);
    expect(() => hoursBetween(new Date('2026-12-05'), new Date('2026-12-04'))).toThrow(/swap from and to/);
    expect(() => hoursBetween(new Date('2025-01-01'), new Date('2026-12-04'))).toThrow(/at most 366 days/);
  });
});
