/** What a handler receives after its arguments. */
export interface TaskContext {
  taskId: string;
  tenantId: string;
  queue: string;
  taskName: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  /** Aborted when the task times out or the worker is forced to stop. */
  signal: AbortSignal;
}

/**
 * A task handler: the task's arguments, then (always, whether it declares it or not) the
 * context. Declare it as the last parameter to use it; avoid optional parameters before it,
 * since the context comes right after the arguments given.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a handler may take any parameters; ArgsOf types them
export type AnyHandler = (...params: any[]) => unknown;

/** The task's arguments: the handler's parameters without a trailing `TaskContext`. */
export type ArgsOf<H extends AnyHandler> = DropContext<Parameters<H>>;
type DropContext<P extends unknown[]> = P extends [...infer A, infer Last]
  ? [Last] extends [TaskContext]
    ? A
    : P
  : P;

/** What the task's result resolves to. */
export type ResultOf<H extends AnyHandler> = Awaited<ReturnType<H>>;

export interface BackoffOptions {
  type: 'fixed' | 'exponential';
  /** Delay before the first retry (exponential: doubled at each retry). */
  delayMs: number;
  /** 0..1: a retry waits between (1 - jitter) × delay and the delay, so retries spread out. @defaultValue 0 */
  jitter?: number;
}

export interface TaskOptions {
  /** Unique name of the task. @defaultValue the handler's name */
  name?: string;
  /** @defaultValue `default` */
  queue?: string;
  /** Fixed tenant: submissions for another tenant are refused. */
  tenantId?: string;
  /** Retries after a failure (the tenant's `max_retry_count` may lower it). @defaultValue 3 */
  retries?: number;
  /** A number is a fixed delay in ms. @defaultValue exponential, 1000 ms, jitter 0.2 */
  backoff?: BackoffOptions | number;
  /** A run taking longer fails with a timeout (and its signal is aborted). @defaultValue 900000 (15 min) */
  timeoutMs?: number;
  /**
   * Store no result (Celery's `ignore_result`): the task is removed as it completes, so it
   * costs Redis nothing afterwards. `get()` still answers a caller already waiting. Failures
   * are kept as usual. @defaultValue false
   */
  ignoreResult?: boolean;
  /** How long this task's results stay readable. @defaultValue the app's `results.keepCompletedSeconds` */
  keepResultSeconds?: number;
}

export interface ApplyOptions<A extends unknown[]> {
  args: A;
  /** The tenant to submit for (highest precedence). */
  tenantId?: string;
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
  /**
   * 1 is highest; unset runs in submission order before any prioritized task. Orders the
   * tenant's own queued tasks; across tenants, fair dispatch decides.
   */
  priority?: number;
  /** Your own id for the task: submitting the same id again returns the first task (idempotent). */
  taskId?: string;
}

/** Where a task is now. `held` means held back by its tenant's cap, dispatch window or while disabled. */
export type TaskStatus = 'held' | 'waiting' | 'deferred' | 'running' | 'completed' | 'failed' | 'unknown';
