import type { DeadLetterEntry } from '../../../dlq/entry.js';
import type { ReplayOutcome } from '../../../dlq/replay.js';
import { renderFields, renderTable, showValue, type Column } from '../../output.js';

/** What each reason means, for `show` (docs/dlq.md says the same at more length). */
export const REASONS: Readonly<Record<string, string>> = {
  retries_exhausted: 'failed on every attempt its retry policy allowed',
  timeout: 'its last attempt ran longer than the task timeout',
  result_too_large: "its result exceeded the tenant's max_result_size_bytes (not retried)",
  unknown_task: 'no task of this name is registered in the worker (not retried)',
  undecodable_payload: 'its data is not a Turbine task payload (not retried)',
  non_error_thrown: 'the handler threw something that is not an Error (not retried)',
  tenant_deleted: 'its tenant was deleted while it was queued',
  stalled: 'the workers running it died too often (maxStalledCount)',
};

const ERROR_WIDTH = 60;

/** `2025-06-01 10:00:00Z`: seconds are enough in a table, and it stays one token shorter. */
function showTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

function firstLine(text: string, width: number): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

const LIST_COLUMNS: readonly Column<DeadLetterEntry>[] = [
  { header: 'ID', value: (e) => e.entryId },
  { header: 'Tenant', value: (e) => e.tenantId ?? '-' },
  { header: 'Queue', value: (e) => e.queue },
  { header: 'Task', value: (e) => e.task || '-' },
  { header: 'Reason', value: (e) => e.reason },
  { header: 'Attempts', value: (e) => String(e.attempts), align: 'right' },
  { header: 'Dead at', value: (e) => showTime(e.deadAt) },
  { header: 'Error', value: (e) => firstLine(e.error, ERROR_WIDTH) },
];

export function renderEntryList(entries: readonly DeadLetterEntry[]): string {
  return renderTable(entries, LIST_COLUMNS);
}

/** Every field of an entry; the error and stack last, line by line. */
export function renderEntry(entry: DeadLetterEntry): string {
  const reason = REASONS[entry.reason];
  const fields = renderFields([
    ['Entry ID', entry.entryId],
    ['Tenant', entry.tenantId ?? '(unknown)'],
    ['Queue', entry.queue],
    ['Task', entry.task || '(unknown)'],
    ['Task ID', entry.taskId],
    ['Reason', reason ? `${entry.reason} (${reason})` : entry.reason],
    ['Attempts', String(entry.attempts)],
    ['Submitted at', entry.submittedAt ? entry.submittedAt.toISOString() : '(unknown)'],
    ['Dead at', entry.deadAt.toISOString()],
    entry.args ? ['Args', showValue(entry.args)] : ['Data (undecodable)', entry.data],
    ['Job options', entry.jobOptions ? showValue(entry.jobOptions) : '(none)'],
  ]);
  return [fields, block('Error', entry.error), block('Stack', entry.stack)].join('\n\n');
}

/** A titled multi-line text, each line indented and stripped of terminal control characters. */
function block(title: string, text: string): string {
  if (!text) return `${title}: (none)`;
  const lines = text.split('\n').map((line) => `  ${escapeControl(line)}`.trimEnd());
  return `${title}:\n${lines.join('\n')}`;
}

/** Errors come from task code: an ANSI escape in one must not redraw the operator's terminal. */
function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line for a replayed entry, e.g. `Replayed default:7 as task 7.replay-lx2 (queued)`. */
export function describeReplayed(outcome: Extract<ReplayOutcome, { ok: true }>): string {
  if (outcome.placement === 'duplicate') {
    return `Entry ${outcome.entryId} had already been replayed as task ${outcome.taskId}; removed it from the dead-letter queue`;
  }
  return `Replayed ${outcome.entryId} as task ${outcome.taskId} in queue '${outcome.queue}' (${outcome.placement})`;
}

const OUTCOME_COLUMNS: readonly Column<ReplayOutcome>[] = [
  { header: 'Entry ID', value: (o) => o.entryId },
  { header: 'Result', value: (o) => (o.ok ? 'replayed' : 'refused') },
  { header: 'Task ID / why refused', value: (o) => (o.ok ? `${o.taskId} (${o.placement})` : o.error.message) },
];

export function renderOutcomes(outcomes: readonly ReplayOutcome[]): string {
  return renderTable(outcomes, OUTCOME_COLUMNS);
}

/** `--json` shape of a replay result. */
export function outcomeToJson(outcome: ReplayOutcome): Record<string, unknown> {
  return outcome.ok
    ? { entry_id: outcome.entryId, ok: true, tenant_id: outcome.tenantId, queue: outcome.queue, task: outcome.task, task_id: outcome.taskId, placement: outcome.placement }
    : { entry_id: outcome.entryId, ok: false, error: { code: outcome.error.code, name: outcome.error.name, message: outcome.error.message } };
}
