import type { Job } from 'bullmq';
import { tenantOfJobId } from '../core/task-ids.js';
import { isValidTenantId } from '../tenancy/validation.js';

/** Why a fetched job may not run as the tenant its data names. */
export interface AdmissionProblem {
  reason: 'not_admitted' | 'tenant_mismatch';
  /** The tenant whose slot and dead-letter index the job is released under ('' for none). */
  tenantId: string;
  message: string;
}

/**
 * Checks that a fetched job went through admission and that everything naming its tenant
 * agrees: the tenant charged for its slot (`opts.tid`), the tenant of its data (the one the
 * handler would see) and the tenant its id was made for. A job added with plain BullMQ skips
 * the tenant's quotas and could claim any tenant, so it never runs; no key is built from a
 * tenant id that is not valid.
 */
export function checkAdmission(job: Job, dataTenant: string): AdmissionProblem | null {
  const opts = job.opts as { tid?: unknown; tna?: unknown };
  const charged = opts.tid;
  if (opts.tna === true || typeof charged !== 'string' || !isValidTenantId(charged)) {
    return {
      reason: 'not_admitted',
      tenantId: '',
      message: `Job '${job.id}' was added to queue '${job.queueName}' without going through Turbine's admission (plain BullMQ add?); submit it with applyAsync`,
    };
  }
  const named = tenantOfJobId(job.id ?? '');
  if (dataTenant !== charged || (named !== null && named !== charged)) {
    return {
      reason: 'tenant_mismatch',
      tenantId: charged,
      message: `Job '${job.id}' was admitted for tenant '${charged}' but its data names tenant ${JSON.stringify(dataTenant)}`,
    };
  }
  return null;
}
