import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { taskIdOf } from '../core/task-ids.js';
import type { HoldRecord } from '../dispatcher/release.js';
import { traceHeld } from './held.js';
import { MESSAGING_SYSTEM, extractFrom, tracer, tracingEnabled } from './tracer.js';

/**
 * Runs a task inside a `turbine.run` span (kind CONSUMER), a child of the `turbine.submit`
 * span whose context the task carries, so that a task's trace spans producer and worker. The
 * handler runs in the span's context: its own spans nest under it. `turbine.outcome` says how
 * the run ended: succeeded, retried, dead_lettered, or requeued (a stopping worker put it back).
 * A task that was held back before this run also gets its `turbine.held` span (`takeHold`).
 */
export function traceRun<T>(job: Job, run: () => Promise<T>, takeHold: () => Promise<HoldRecord | null>): Promise<T> {
  if (!tracingEnabled()) return run();
  const parent = extractFrom(job.opts);
  traceHeld(job, parent, takeHold);
  const attributes = {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'run',
    'messaging.destination.name': job.queueName,
    // The task id its producer knows (the job id carries the tenant before it).
    'messaging.message.id': taskIdOf(job.id ?? ''),
    'turbine.task': job.name,
    'turbine.attempt': job.attemptsMade + 1,
    // Admission stores the tenant in the job's options (`tid`) as well as in its data.
    'turbine.tenant_id': String((job.opts as { tid?: unknown }).tid ?? ''),
  };
  return tracer.startActiveSpan('turbine.run', { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      const result = await run();
      span.setAttribute('turbine.outcome', 'succeeded');
      return result;
    } catch (error) {
      const outcome = error instanceof DelayedError ? 'requeued' : error instanceof UnrecoverableError ? 'dead_lettered' : 'retried';
      span.setAttribute('turbine.outcome', outcome);
      if (outcome !== 'requeued') {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}
