import type { RedisClient } from '../store/connection.js';
import type { KeyLayout } from '../core/keys.js';
import { addUsage, hoursBetween, periodStartOf, usageRowFromHash, type UsagePeriod, type UsageRow } from './usage.js';

/** What to report: one tenant, a time range (the hour, or day, holding `from` up to `to`), by hour or day. */
export interface UsageReportQuery {
  tenantId: string;
  /** @defaultValue 24 hours before `to` (30 days with `by: 'day'`) */
  from?: Date;
  /** @defaultValue now */
  to?: Date;
  /** @defaultValue `'hour'` */
  by?: UsagePeriod;
}

export interface UsageExportQuery {
  from: Date;
  to: Date;
}

/** Tenants read per round trip of an export. */
const EXPORT_BATCH = 500;

/** `from` and `to` with their defaults. */
export function usageRange(query: { from?: Date; to?: Date; by?: UsagePeriod }): { from: Date; to: Date } {
  const to = query.to ?? new Date();
  const span = query.by === 'day' ? 30 * 86_400_000 : 86_400_000;
  return { from: query.from ?? new Date(to.getTime() - span), to };
}

/**
 * One tenant's usage over a range, oldest period first, periods without any count left out.
 * One pipelined read of each hour's hash; days are the sums of their UTC hours.
 */
export async function readUsageReport(client: RedisClient, keys: KeyLayout, query: UsageReportQuery): Promise<UsageRow[]> {
  const { from, to } = usageRange(query);
  // A day is reported whole: from the start of the day holding `from`.
  const hours = hoursBetween(query.by === 'day' ? new Date(periodStartOf(from.getTime(), 'day')) : from, to);
  const pipeline = client.pipeline();
  for (const h of hours) pipeline.hgetall(keys.usageHour(query.tenantId, h / 1000));
  const replies = ((await pipeline.exec()) ?? []) as [Error | null, Record<string, string>][];
  const rows: UsageRow[] = [];
  replies.forEach(([error, hash], i) => {
    if (error) throw error;
    if (Object.keys(hash).length === 0) return;
    const row = usageRowFromHash(query.tenantId, new Date(hours[i]!), hash);
    if (query.by !== 'day') {
      rows.push(row);
      return;
    }
    const dayStart = periodStartOf(hours[i]!, 'day');
    const last = rows.at(-1);
    if (last && last.periodStart.getTime() === dayStart) addUsage(last, row);
    else rows.push({ ...row, periodStart: new Date(dayStart) });
  });
  return rows;
}

/**
 * Every tenant's usage by hour over a range, hour by hour, as rows are read: each hour's index
 * of tenants is walked with SSCAN and their hashes read in batches, so memory stays the same
 * however many tenants and hours there are. Deleted tenants' usage is included until it expires.
 */
export async function* exportUsage(client: RedisClient, keys: KeyLayout, query: UsageExportQuery): AsyncGenerator<UsageRow> {
  for (const h of hoursBetween(query.from, query.to)) {
    const hourStart = h / 1000;
    let cursor = '0';
    do {
      const [next, tenants] = await client.sscan(keys.usageHourTenants(hourStart), cursor, 'COUNT', EXPORT_BATCH);
      cursor = next;
      if (tenants.length === 0) continue;
      tenants.sort();
      const pipeline = client.pipeline();
      for (const tenantId of tenants) pipeline.hgetall(keys.usageHour(tenantId, hourStart));
      const replies = ((await pipeline.exec()) ?? []) as [Error | null, Record<string, string>][];
      for (const [i, [error, hash]] of replies.entries()) {
        if (error) throw error;
        if (Object.keys(hash).length > 0) yield usageRowFromHash(tenants[i]!, new Date(h), hash);
      }
    } while (cursor !== '0');
  }
}
