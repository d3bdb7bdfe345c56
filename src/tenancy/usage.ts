import { InvalidArgumentError } from '../core/errors.js';
import type { RejectionReason } from '../core/rejection.js';

/**
 * Usage metering: what each tenant's tasks did, per hour, as counted by the dispatcher's Lua
 * scripts in the same calls that do the work (`src/dispatcher/lua/includes/usage.lua`). This
 * file is the model: rows, their wire form (snake_case, for JSON, JSONL and CSV) and periods.
 */

/** The refusals admission counts per tenant (a tenant that does not exist has no usage). */
export const METERED_REJECTIONS = [
  'disabled',
  'queue_not_allowed',
  'too_large',
  'quota_hour',
  'quota_day',
  'queue_full',
  'rate_limited',
] as const satisfies readonly RejectionReason[];
export type MeteredRejection = (typeof METERED_REJECTIONS)[number];

export type UsagePeriod = 'hour' | 'day';

/** One tenant's usage in one hour or day. */
export interface UsageRow {
  tenantId: string;
  /** Start of the hour or (UTC) day. */
  periodStart: Date;
  /** Tasks admitted (queued, held or deferred). */
  accepted: number;
  /** Submissions refused by admission, by reason. */
  rejected: Record<MeteredRejection, number>;
  /** Runs begun (a retry or a redelivery is another run). */
  started: number;
  /** Runs that completed. */
  succeeded: number;
  /** Runs that failed, including those whose task was then dead-lettered. */
  failed: number;
  /** Tasks sent to the dead-letter queue. */
  deadLettered: number;
  /** Time in handlers, from each run's fetch to its finish. */
  handlerSeconds: number;
  /** Serialized arguments of the accepted tasks. */
  payloadBytes: number;
  /** Serialized results of the completed runs. */
  resultBytes: number;
}

/** The wire form of a row: flat, so that JSON, JSONL and CSV carry the same fields. */
export type UsageRowJson = {
  tenant_id: string;
  period_start: string;
  accepted: number;
  rejected: number;
} & { [R in MeteredRejection as `rejected_${R}`]: number } & {
  started: number;
  succeeded: number;
  failed: number;
  dead_lettered: number;
  handler_seconds: number;
  payload_bytes: number;
  result_bytes: number;
};

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The longest range one report or export reads: a year of hours. */
export const MAX_USAGE_RANGE_MS = 366 * DAY_MS;

/** A row from a tenant's hash of one hour (`usage-hour`), missing fields being 0. */
export function usageRowFromHash(tenantId: string, periodStart: Date, hash: Readonly<Record<string, string>>): UsageRow {
  const n = (field: string): number => Number(hash[field] ?? 0);
  const rejected = Object.fromEntries(METERED_REJECTIONS.map((r) => [r, n(`rejected_${r}`)])) as Record<MeteredRejection, number>;
  return {
    tenantId,
    periodStart,
    accepted: n('accepted'),
    rejected,
    started: n('started'),
    succeeded: n('succeeded'),
    failed: n('failed'),
    deadLettered: n('dead_lettered'),
    handlerSeconds: n('handler_ms') / 1000,
    payloadBytes: n('payload_bytes'),
    resultBytes: n('result_bytes'),
  };
}

/** `into` plus `row` (same tenant), for rolling hours up into days. */
export function addUsage(into: UsageRow, row: UsageRow): void {
  into.accepted += row.accepted;
  for (const r of METERED_REJECTIONS) into.rejected[r] += row.rejected[r];
  into.started += row.started;
  into.succeeded += row.succeeded;
  into.failed += row.failed;
  into.deadLettered += row.deadLettered;
  // Milliseconds are summed in whole numbers, so a day's total is as exact as its hours'.
  into.handlerSeconds = Math.round((into.handlerSeconds + row.handlerSeconds) * 1000) / 1000;
  into.payloadBytes += row.payloadBytes;
  into.resultBytes += row.resultBytes;
}

export function totalRejected(row: UsageRow): number {
  return METERED_REJECTIONS.reduce((sum, r) => sum + row.rejected[r], 0);
}

export function usageRowToJson(row: UsageRow): UsageRowJson {
  const rejected = Object.fromEntries(METERED_REJECTIONS.map((r) => [`rejected_${r}`, row.rejected[r]]));
  return {
    tenant_id: row.tenantId,
    period_start: row.periodStart.toISOString(),
    accepted: row.accepted,
    rejected: totalRejected(row),
    ...(rejected as { [R in MeteredRejection as `rejected_${R}`]: number }),
    started: row.started,
    succeeded: row.succeeded,
    failed: row.failed,
    dead_lettered: row.deadLettered,
    handler_seconds: row.handlerSeconds,
    payload_bytes: row.payloadBytes,
    result_bytes: row.resultBytes,
  };
}

/** The CSV columns, in order: the wire fields. */
export const USAGE_CSV_COLUMNS: readonly (keyof UsageRowJson)[] = [
  'tenant_id',
  'period_start',
  'accepted',
  'rejected',
  ...METERED_REJECTIONS.map((r) => `rejected_${r}` as const),
  'started',
  'succeeded',
  'failed',
  'dead_lettered',
  'handler_seconds',
  'payload_bytes',
  'result_bytes',
];

/** A CSV line of a row (tenant ids hold no comma or quote; see tenancy/validation). */
export function usageRowToCsv(row: UsageRow): string {
  const json = usageRowToJson(row);
  return USAGE_CSV_COLUMNS.map((column) => String(json[column])).join(',');
}

/** The start (ms) of the hour or UTC day holding `ms`. */
export function periodStartOf(ms: number, period: UsagePeriod): number {
  const size = period === 'hour' ? HOUR_MS : DAY_MS;
  return Math.floor(ms / size) * size;
}

/**
 * The hours (their starts, ms) from the one holding `from` to the one before `to` (the hour
 * holding `to` is included when `to` is inside it). Refuses a reversed or over-long range.
 */
export function hoursBetween(from: Date, to: Date): number[] {
  const start = periodStartOf(from.getTime(), 'hour');
  const end = to.getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) throw new InvalidArgumentError('A usage range needs valid from and to times');
  if (end < from.getTime()) {
    throw new InvalidArgumentError(`Usage range ends (${to.toISOString()}) before it starts (${from.toISOString()}): swap from and to`);
  }
  if (end - start > MAX_USAGE_RANGE_MS) {
    throw new InvalidArgumentError('A usage range may span at most 366 days: ask for less, or export it in parts');
  }
  const hours: number[] = [];
  for (let h = start; h < end; h += HOUR_MS) hours.push(h);
  return hours;
}
