import type { AdmissionRequest } from '../dispatcher/admission.js';
import { encodeTask } from '../core/envelope.js';
import { assertIntegerInRange } from '../core/integers.js';
import { InvalidArgumentError, TenantMismatchError, type TurbineError } from '../core/errors.js';
import { traceSubmissions } from '../tracing/submit.js';
import { assertQueueName, assertTaskId, assertTaskName, assertTenantId } from '../tenancy/validation.js';
import type { TaskHost } from './ports.js';
import { AsyncResult } from './result.js';
import { checkRetention, retentionJobOptions, type TaskRetention } from './retention.js';
import type { AnyHandler, ApplyOptions, BackoffOptions, TaskOptions } from './types.js';

export type BulkItemResult<R> = { ok: true; result: AsyncResult<R> } | { ok: false; error: TurbineError };

const DEFAULT_RETRIES = 3;
const DEFAULT_BACKOFF: BackoffOptions = { type: 'exponential', delayMs: 1000, jitter: 0.2 };
const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;
/** BullMQ's largest priority. */
const MAX_PRIORITY = 2_097_152;

/** A task registered on a Turbine app: submit it with `applyAsync` or `applyBulk`. */
export class TaskDefinition<A extends unknown[] = unknown[], R = unknown> {
  readonly name: string;
  readonly queue: string;
  /** Fixed tenant, if the task was defined with one. */
  readonly tenantId: string | undefined;
  readonly retries: number;
  readonly backoff: BackoffOptions;
  readonly timeoutMs: number;
  readonly retention: TaskRetention;

  constructor(
    readonly app: TaskHost,
    options: TaskOptions,
    /** Called with the task's arguments and then the context. */
    readonly handler: AnyHandler,
  ) {
    if (typeof handler !== 'function') throw new InvalidArgumentError('A task needs a handler function');
    this.name = assertTaskName(options.name ?? handler.name);
    this.queue = assertQueueName(options.queue ?? 'default');
    this.tenantId = options.tenantId === undefined ? undefined : assertTenantId(options.tenantId);
    this.retries = assertIntegerInRange('retries', options.retries ?? DEFAULT_RETRIES, 0, 1000);
    this.backoff = normalizeBackoff(options.backoff ?? DEFAULT_BACKOFF);
    this.timeoutMs = assertIntegerInRange('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 2 ** 31 - 1);
    this.retention = {
      ignoreResult: options.ignoreResult === true,
      keepResultSeconds:
        options.keepResultSeconds === undefined ? undefined : checkRetention('keepResultSeconds', options.keepResultSeconds),
    };
  }

  /**
   * Submits the task. Refused submissions throw the reason (`QuotaExceededError`,
   * `TenantDisabledError`, `RedisMemoryPressureError`, …) and leave nothing behind. A task its tenant cannot run yet is
   * accepted and held back (`result.placement === 'held'`).
   */
  async applyAsync(options: ApplyOptions<A>): Promise<AsyncResult<R>> {
    const [outcome] = await this.applyBulk([options]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.result;
  }

  /**
   * Submits many tasks in few round trips. Each is admitted on its own rules: the answer says,
   * in order, which were accepted and which refused and why. Invalid input (a bad tenant id,
   * priority, …) throws before anything is submitted.
   */
  async applyBulk(items: readonly ApplyOptions<A>[]): Promise<BulkItemResult<R>[]> {
    const requests = items.map((item) => this.toRequest(item));
    const pressure = await this.app.memoryPressure();
    const outcomes = pressure
      ? requests.map(() => ({ ok: false as const, error: pressure }))
      : await traceSubmissions(requests, () => this.app.admit(requests));
    return outcomes.map((outcome, i): BulkItemResult<R> => {
      const request = requests[i]!;
      if (!outcome.ok) {
        this.app.reportRejected(request, outcome.error);
        return outcome;
      }
      this.app.reportSubmitted(request, outcome.taskId, outcome.placement);
      return {
        ok: true,
        result: new AsyncResult<R>(this.app, outcome.taskId, request.queue, request.tenantId, outcome.placement),
      };
    });
  }

  /** The tenant for a submission: explicit, the task's, the app's, `TURBINE_TENANT_ID`, `default`. */
  resolveTenant(explicit: string | undefined): string {
    if (explicit !== undefined && this.tenantId !== undefined && explicit !== this.tenantId) {
      throw new TenantMismatchError(
        `Task '${this.name}' always runs for tenant '${this.tenantId}'; it cannot be submitted for tenant '${explicit}'`,
      );
    }
    return assertTenantId(
      explicit ?? this.tenantId ?? this.app.tenantId ?? process.env.TURBINE_TENANT_ID ?? 'default',
    );
  }

  private toRequest(item: ApplyOptions<A>): AdmissionRequest {
    if (!item || !Array.isArray(item.args)) {
      throw new InvalidArgumentError(`Task '${this.name}': args must be a list of the handler's arguments`);
    }
    const tenantId = this.resolveTenant(item.tenantId);
    const { data, argsSize } = encodeTask(tenantId, item.args);
    const jobOptions: Record<string, unknown> = {
      attempts: this.retries + 1,
      backoff: { type: this.backoff.type, delay: this.backoff.delayMs, jitter: this.backoff.jitter ?? 0 },
      ...retentionJobOptions(this.app.results, this.retention),
    };
    if (item.delayMs !== undefined && assertIntegerInRange('delayMs', item.delayMs, 0, 2 ** 40) > 0) {
      jobOptions.delay = item.delayMs;
    }
    if (item.priority !== undefined) jobOptions.priority = assertIntegerInRange('priority', item.priority, 1, MAX_PRIORITY);
    return {
      tenantId,
      queue: this.queue,
      taskName: this.name,
      data,
      argsSize,
      jobOptions,
      taskId: item.taskId === undefined ? undefined : assertTaskId(item.taskId),
    };
  }
}

function normalizeBackoff(backoff: BackoffOptions | number): BackoffOptions {
  if (typeof backoff === 'number') return { type: 'fixed', delayMs: assertIntegerInRange('backoff', backoff, 0, 2 ** 31 - 1) };
  if (!backoff || (backoff.type !== 'fixed' && backoff.type !== 'exponential')) {
    throw new InvalidArgumentError("Invalid backoff: expected { type: 'fixed' | 'exponential', delayMs, jitter? } or a number of ms");
  }
  const jitter = backoff.jitter ?? 0;
  if (typeof jitter !== 'number' || jitter < 0 || jitter > 1) {
    throw new InvalidArgumentError(`Invalid backoff jitter ${JSON.stringify(jitter)}: expected a number from 0 to 1`);
  }
  return { type: backoff.type, delayMs: assertIntegerInRange('backoff.delayMs', backoff.delayMs, 0, 2 ** 31 - 1), jitter };
}
