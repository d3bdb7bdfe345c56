/**
 * The entries of a tenant's held list (`<prefix>:tenant:<id>:held:<queue>`): the job id, or
 * `<jobId>:<priority>` for a prioritized job (BullMQ job ids cannot contain ":"), so that
 * promotion needs no read of the job. `src/dispatcher/lua/includes/held.lua` writes and reads
 * the same format inside scripts.
 */
export function heldEntry(jobId: string, priority: number): string {
  return priority > 0 ? `${jobId}:${priority}` : jobId;
}
