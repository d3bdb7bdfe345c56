import { renderTable, type Column } from '../../output.js';
import { totalRejected, USAGE_CSV_COLUMNS, usageRowToCsv, type UsagePeriod, type UsageRow } from '../../../tenancy/usage.js';

/** The first line of a usage CSV: the wire field names. */
export const USAGE_CSV_HEADER = USAGE_CSV_COLUMNS.join(',');

/** Usage rows as CSV, with the header. */
export function renderUsageCsv(rows: readonly UsageRow[]): string {
  return [USAGE_CSV_HEADER, ...rows.map(usageRowToCsv)].join('\n');
}

const count = (value: (row: UsageRow) => number): ((row: UsageRow) => string) => (row) => String(value(row));

/** A tenant's usage, one line per hour or day. */
export function renderUsageTable(rows: readonly UsageRow[], by: UsagePeriod): string {
  const columns: Column<UsageRow>[] = [
    { header: by === 'hour' ? 'hour (utc)' : 'day (utc)', value: (r) => periodLabel(r.periodStart, by) },
    { header: 'accepted', value: count((r) => r.accepted), align: 'right' },
    { header: 'rejected', value: count(totalRejected), align: 'right' },
    { header: 'started', value: count((r) => r.started), align: 'right' },
    { header: 'succeeded', value: count((r) => r.succeeded), align: 'right' },
    { header: 'failed', value: count((r) => r.failed), align: 'right' },
    { header: 'dead', value: count((r) => r.deadLettered), align: 'right' },
    { header: 'handler s', value: (r) => r.handlerSeconds.toFixed(3), align: 'right' },
    { header: 'payload b', value: count((r) => r.payloadBytes), align: 'right' },
    { header: 'result b', value: count((r) => r.resultBytes), align: 'right' },
  ];
  return renderTable(rows, columns);
}

function periodLabel(start: Date, by: UsagePeriod): string {
  const iso = start.toISOString();
  return by === 'hour' ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}
