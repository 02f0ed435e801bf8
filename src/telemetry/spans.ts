/**
 * Span helpers the layers share: the cheap "is tracing on" check, spans that end with their
 * work, and W3C trace context into and out of message headers.
 * @remarks This file imports nothing from Conclave, so dispatch, workflow and coordination can use
 * it without an import cycle. When tracing is off, callers check {@link tracingEnabled} first and
 * skip every helper: no span, context or header object is created on a hot path.
 */
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';

export type { Attributes, Context, Span } from '@opentelemetry/api';

let enabled = false;
let tracer: Tracer = trace.getTracer('conclave');

/** Whether spans are being recorded; a plain boolean read, safe to call per task. */
export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Switches the helpers on or off; called by `startTracing` and its shutdown only.
 * @remarks The tracer is looked up once here, never per span.
 */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
  tracer = trace.getTracer('conclave');
}

/** A started span and the context that has it active (to parent children or inject headers). */
export interface Traced {
  readonly span: Span;
  readonly context: Context;
}

/** Starts a span under `parent` (default: the active context); the caller ends it. */
export function startTraced(
  name: string,
  attributes: Attributes,
  parent: Context = context.active(),
): Traced {
  const span = tracer.startSpan(name, { attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a span, marking it as an error when `error` is given. */
export function endSpan(span: Span, error?: unknown, attributes?: Attributes): void {
  if (attributes !== undefined) span.setAttributes(attributes);
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    const code = errorCode(error);
    if (code !== undefined) span.setAttribute('error.code', code);
  }
  span.end();
}

/**
 * Runs `fn` with a new span active (children and injected headers see it) and ends the span when
 * the promise settles, as an error if it rejects. Use only when {@link tracingEnabled}.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  const t = startTraced(name, attributes, parent);
  return context.with(t.context, () =>
    fn(t.span).then(
      (value) => {
        endSpan(t.span);
        return value;
      },
      (err: unknown) => {
        endSpan(t.span, err);
        throw err;
      },
    ),
  );
}

/** The active context (to capture where work was submitted, and continue it later). */
export function activeContext(): Context {
  return context.active();
}

/** Calls `fn` with `ctx` active, so spans started inside (and injected headers) continue it. */
export function runInContext<A extends unknown[], R>(ctx: Context, fn: (...args: A) => R, ...args: A): R {
  return context.with(ctx, fn, undefined, ...args);
}

/**
 * Calls `fn` with no span active. An in-process bus delivers through it when tracing is on, so a
 * message's handler continues only the trace its headers name (as over NATS), never the trace of
 * whichever publisher happened to schedule the delivery.
 */
export function runDetached<R>(fn: () => R): R {
  return context.with(ROOT_CONTEXT, fn);
}

/** Writes `traceparent` (and `tracestate`) for `ctx` (default: the active context) into `headers`. */
export function injectHeaders(
  headers: Record<string, string>,
  ctx: Context = context.active(),
): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

/** Message or request headers; HTTP may repeat a header. */
export type HeaderCarrier = Record<string, string | string[] | undefined>;

const getter: TextMapGetter<HeaderCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key] ?? carrier[key.toLowerCase()],
};

/** The context a message's `traceparent` header continues, on top of the active one. */
export function extractContext(headers: HeaderCarrier): Context {
  return propagation.extract(context.active(), headers, getter);
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (
    typeof error === 'object' &&
    error !== null &&
    'message' in error &&
    typeof error.message === 'string'
  ) {
    return error.message;
  }
  return String(error);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
