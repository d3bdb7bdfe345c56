import { SpanKind, SpanStatusCode, context, isSpanContextValid, trace, type Span } from '@opentelemetry/api';
import type { AdmissionOutcome, AdmissionRequest } from '../dispatcher/admission.js';
import { rejectionReason } from '../core/rejection.js';
import { MESSAGING_SYSTEM, injectInto, tracer, tracingEnabled } from './tracer.js';

/**
 * Admits tasks inside one `turbine.submit` span each (kind PRODUCER), whose context travels
 * with the task to the worker. The span ends with where admission put the task
 * (`turbine.placement`) or why it refused it (`turbine.refusal_reason`, status ERROR).
 */
export async function traceSubmissions(
  requests: readonly AdmissionRequest[],
  admit: () => Promise<AdmissionOutcome[]>,
): Promise<AdmissionOutcome[]> {
  if (!tracingEnabled()) return admit();
  const spans = requests.map((request) => startSubmit(request));
  let outcomes: AdmissionOutcome[];
  try {
    outcomes = await admit();
  } catch (error) {
    for (const span of spans) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      span.end();
    }
    throw error;
  }
  outcomes.forEach((outcome, i) => {
    const span = spans[i]!;
    if (outcome.ok) {
      span.setAttributes({ 'messaging.message.id': outcome.taskId, 'turbine.placement': outcome.placement });
    } else {
      span.setAttribute('turbine.refusal_reason', rejectionReason(outcome.error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
    }
    span.end();
  });
  return outcomes;
}

function startSubmit(request: AdmissionRequest): Span {
  const span = tracer.startSpan('turbine.submit', {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': MESSAGING_SYSTEM,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'submit',
      'messaging.destination.name': request.queue,
      'turbine.tenant_id': request.tenantId,
      'turbine.task': request.taskName,
    },
  });
  // Without an SDK the span is a no-op with no context: nothing to carry.
  if (isSpanContextValid(span.spanContext())) injectInto(request.jobOptions, trace.setSpan(context.active(), span));
  return span;
}
