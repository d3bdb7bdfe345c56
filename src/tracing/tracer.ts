import { ProxyTracerProvider, context, propagation, trace, type Context, type Tracer } from '@opentelemetry/api';
import { TURBINE_VERSION } from '../core/version.js';

/**
 * Turbine's OpenTelemetry tracer. Through `@opentelemetry/api` only: without an SDK installed
 * by the application every span is a no-op, and a task carries no trace context.
 */
export const tracer: Tracer = trace.getTracer('turbine', TURBINE_VERSION);

/**
 * True once the application has installed an OpenTelemetry SDK. Until then Turbine makes no
 * spans at all: a no-op span still costs its attributes and context on the path every task
 * takes.
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('turbine') !== undefined;
}

/** `messaging.system` of Turbine's spans (OpenTelemetry's messaging conventions). */
export const MESSAGING_SYSTEM = 'turbine';

/**
 * Where a task carries its trace context: BullMQ's own field for it (`opts.telemetry.metadata`,
 * a JSON object of propagation headers such as `traceparent`), so that tools reading BullMQ
 * jobs find it where they look.
 */
interface TelemetryOptions {
  telemetry?: { metadata?: string };
}

/** Writes the context of `ctx` (with the app's propagator, W3C trace context by default) into job options. */
export function injectInto(jobOptions: Record<string, unknown>, ctx: Context): void {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (Object.keys(carrier).length > 0) jobOptions.telemetry = { metadata: JSON.stringify(carrier) };
}

/** The context a producer stored in a job's options, or the active one when there is none. */
export function extractFrom(jobOptions: TelemetryOptions): Context {
  const metadata = jobOptions.telemetry?.metadata;
  if (!metadata) return context.active();
  try {
    return propagation.extract(context.active(), JSON.parse(metadata) as Record<string, string>);
  } catch {
    // Metadata another tool wrote in a form we cannot read: the run starts its own trace.
    return context.active();
  }
}
