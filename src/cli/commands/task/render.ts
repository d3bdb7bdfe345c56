import type { TaskDetails, TaskSummary } from '../../../tasks/inspect.js';
import { renderFields, renderTable, type Field } from '../../output.js';

const HELD_REASONS: Record<NonNullable<TaskDetails['heldReason']>, string> = {
  disabled: 'the tenant is disabled',
  cap: 'the tenant is at max_concurrent_tasks',
  rate: "the tenant's rate limit (max_tasks_per_second, max_tasks_per_minute) allows no start yet",
  window: "the tenant's dispatch window in this queue is full",
  behind_older_tasks: 'older held tasks go first',
};

export function renderTaskList(tasks: readonly TaskSummary[]): string {
  return renderTable(tasks, [
    { header: 'Task ID', value: (t) => t.taskId },
    { header: 'Queue', value: (t) => t.queue },
    { header: 'Task', value: (t) => t.task },
    { header: 'State', value: (t) => t.state },
    { header: 'Place', value: (t) => (t.position === undefined ? '' : String(t.position)), align: 'right' },
    { header: 'Held by', value: (t) => t.heldReason ?? '' },
    { header: 'Submitted', value: (t) => t.submittedAt?.toISOString() ?? '' },
  ]);
}

export function renderTask(task: TaskDetails): string {
  const fields: Field[] = [
    ['Task ID', task.taskId],
    ['Tenant', task.tenantId],
    ['Queue', task.queue],
    ['Task', task.task],
    ['State', task.state],
  ];
  if (task.heldReason) fields.push(['Held because', HELD_REASONS[task.heldReason]]);
  if (task.position !== undefined) fields.push(['Place in line', `${task.position} (1 = promoted next in this queue)`]);
  if (task.failedReason) fields.push(['Failed reason', task.failedReason]);
  fields.push(['Attempts made', String(task.attemptsMade)], ['Submitted', task.submittedAt?.toISOString() ?? '']);
  return renderFields(fields);
}

export function taskToJson(task: TaskSummary | TaskDetails): Record<string, unknown> {
  const details = task as Partial<TaskDetails>;
  return {
    task_id: task.taskId,
    tenant_id: task.tenantId,
    queue: task.queue,
    task: task.task,
    state: task.state,
    submitted_at: task.submittedAt?.toISOString() ?? null,
    ...(task.position !== undefined ? { position: task.position } : {}),
    ...(task.heldReason ? { held_reason: task.heldReason } : {}),
    ...(details.attemptsMade !== undefined ? { attempts_made: details.attemptsMade } : {}),
    ...(details.failedReason ? { failed_reason: details.failedReason } : {}),
  };
}
