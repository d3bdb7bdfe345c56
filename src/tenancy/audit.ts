import type { RedisClient } from '../store/connection.js';
import type { JsonValue } from './tenant.js';

/** `dlq_replay` and `dlq_purge` record work on the tenant's dead letters (from the web console). */
export type AuditAction = 'create' | 'update' | 'enable' | 'disable' | 'delete' | 'drain' | 'cancel' | 'dlq_replay' | 'dlq_purge';

/** Entries kept per trail; the same cap as the Lua writer's (`includes/audit.lua`). */
const AUDIT_MAXLEN = 1000;

export interface AuditEntry {
  /** Stream entry id. */
  id: string;
  time: Date;
  actor: string;
  action: AuditAction;
  /** For create: the tenant; for update: `{ field: { from, to } }`; for delete: what was queued. */
  changes: JsonValue;
}

export interface AuditEntryJson {
  id: string;
  time: string;
  actor: string;
  action: AuditAction;
  changes: JsonValue;
}

/**
 * Appends an entry to a tenant's trail, in the Lua writer's format, for actions that are not a
 * tenant change (so no change is announced on the change channel).
 */
export async function appendAuditEntry(
  client: RedisClient,
  key: string,
  entry: { actor: string; action: AuditAction; changes: JsonValue },
): Promise<void> {
  await client.xadd(key, 'MAXLEN', '~', AUDIT_MAXLEN, '*', 'time', new Date().toISOString(), 'actor', entry.actor,
    'action', entry.action, 'changes', JSON.stringify(entry.changes));
}

export async function readAuditLog(client: RedisClient, key: string, limit: number): Promise<AuditEntry[]> {
  const entries = await client.xrevrange(key, '+', '-', 'COUNT', limit);
  return entries.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return {
      id,
      time: new Date(fields.time ?? Number(id.split('-')[0])),
      actor: fields.actor ?? '',
      action: (fields.action ?? 'update') as AuditAction,
      changes: fields.changes ? (JSON.parse(fields.changes) as JsonValue) : null,
    };
  });
}

export function auditEntryToJson(entry: AuditEntry): AuditEntryJson {
  return { ...entry, time: entry.time.toISOString() };
}
