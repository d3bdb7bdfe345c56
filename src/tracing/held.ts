import { SpanKind, type Context } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import type { HoldRecord } from '../dispatcher/release.js';
import { taskIdOf } from '../core/task-ids.js';
import { MESSAGING_SYSTEM, tracer } from './tracer.js';

/**
 * Records a `turbine.held` span for a run whose task was held back first: from when admission
 * (or a retry come due) held it to when the dispatcher promoted it to its queue, a child of
 * `turbine.submit` beside `turbine.run`. The dispatcher's Lua has no tracer, so it stores the
 * times and reason on the job (see held.lua) and the worker, which has one, makes the span
 * after the fact with those times. The record is read while the handler already runs: the
 * span costs the run no wait, and a failed read only loses the span.
 */
export function traceHeld(job: Job, parent: Context, takeHold: () => Promise<HoldRecord | null>): void {
  void takeHold().then(
    (hold) => {
      if (!hold) return;
      const span = tracer.startSpan(
        'turbine.held',
        {
          kind: SpanKind.INTERNAL,
          startTime: hold.heldAt,
          attributes: {
            'messaging.system': MESSAGING_SYSTEM,
            'messaging.destination.name': job.queueName,
            'messaging.message.id': taskIdOf(job.id ?? ''),
            'turbine.task': job.name,
            'turbine.tenant_id': String((job.opts as { tid?: unknown }).tid ?? ''),
            'turbine.held_reason': hold.reason,
            'turbine.held_ms': Math.max(0, hold.releasedAt - hold.heldAt),
          },
        },
        parent,
      );
      span.end(hold.releasedAt);
    },
    () => undefined,
  );
}
