import { monotonicFactory } from 'ulid';

/**
 * Task ids and the BullMQ job ids they live under.
 *
 * A task id is what callers see: their own id (`applyAsync({ taskId })`) or one Turbine
 * generates. Ids are scoped per tenant: the job id is `<tenant>@<task id>`. Tenant ids cannot
 * contain `@`, so the first `@` splits a job id back without ambiguity, and the same task id in
 * two tenants names two jobs. Generated ids are ULIDs (time-ordered, 80 random bits), never a
 * counter: a counter restarts after `obliterate()` or a failover that loses its last increments,
 * and would hand out the id of a job that still exists.
 */

const SEPARATOR = '@';
/** Ids from BullMQ's counter, which Turbine generated before ids were tenant-scoped. */
const LEGACY_ID_RE = /^\d+$/;

const nextUlid = monotonicFactory();

/** A fresh task id: sorts in submission order within a process, never repeats. */
export function generateTaskId(): string {
  return nextUlid();
}

/** The BullMQ job id of a tenant's task. */
export function jobIdOf(tenantId: string, taskId: string): string {
  // A task admitted before ids were scoped keeps its counter id; reads check its tenant.
  if (LEGACY_ID_RE.test(taskId)) return taskId;
  return `${tenantId}${SEPARATOR}${taskId}`;
}

/** The task id of a job id (the job id itself for a job Turbine did not name). */
export function taskIdOf(jobId: string): string {
  const at = jobId.indexOf(SEPARATOR);
  return at < 0 ? jobId : jobId.slice(at + 1);
}

/** The tenant a job id was made for, or null for an id Turbine did not make. */
export function tenantOfJobId(jobId: string): string | null {
  const at = jobId.indexOf(SEPARATOR);
  return at <= 0 ? null : jobId.slice(0, at);
}
