import type { AuditEntry } from '../../../tenancy/audit.js';
import type { JsonValue } from '../../../tenancy/tenant.js';
import { renderTable, showValue, type Column } from '../../output.js';

const COLUMNS: readonly Column<AuditEntry>[] = [
  { header: 'Time', value: (entry) => entry.time.toISOString() },
  { header: 'Actor', value: (entry) => entry.actor },
  { header: 'Action', value: (entry) => entry.action },
  { header: 'Changes', value: (entry) => showChanges(entry.changes) },
];

/** Newest first, as the trail is read. */
export function renderAudit(entries: readonly AuditEntry[]): string {
  return renderTable(entries, COLUMNS);
}

type JsonObject = { [key: string]: JsonValue };

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An update records `{ field: { from, to } }`; stored values are strings, absent is null. */
function isDiff(value: JsonValue): value is JsonObject {
  return isObject(value) && 'from' in value && 'to' in value && Object.keys(value).length === 2;
}

/**
 * One line per entry: updates as `field: from → to`, a creation as the values it set (the
 * tenant's id and timestamps are already in the other columns; unlimited quotas are left out),
 * anything else as `key=value`.
 */
export function showChanges(changes: JsonValue): string {
  if (!isObject(changes)) return changes === null ? '' : showValue(changes);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(changes)) {
    if (isDiff(value)) {
      parts.push(`${key}: ${showSide(value.from)} → ${showSide(value.to)}`);
    } else if (key === 'quotas' && isObject(value)) {
      for (const [quota, limit] of Object.entries(value)) if (limit !== null) parts.push(`${quota}=${showValue(limit)}`);
    } else if (!['tenant_id', 'created_at', 'updated_at'].includes(key)) {
      parts.push(`${key}=${showValue(value)}`);
    }
  }
  return parts.join(', ');
}

function showSide(value: JsonValue | undefined): string {
  return value === null || value === undefined ? '(unset)' : showValue(value);
}
