import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP (JSON) when an endpoint is configured. Without
 * one no SDK is registered: the API's no-op tracer makes every helper here nearly free.
 * The provider is process-wide (the API's globals): one traced app per process.
 */
export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; traces go to <it>/v1/traces. */
  readonly endpoint?: string;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full traces URL; wins over endpoint. */
  readonly tracesEndpoint?: string;
  readonly serviceName: string;
  readonly serviceVersion?: string;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Flushes the spans still buffered and unregisters the provider. */
  shutdown(): Promise<void>;
}

const TRACER = 'crm-pipeline';

export function startTracing(config: TracingConfig): Tracing {
  const url = config.tracesEndpoint ?? (config.endpoint ? `${config.endpoint.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url) return { enabled: false, shutdown: async () => undefined };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': config.serviceName,
      ...(config.serviceVersion ? { 'service.version': config.serviceVersion } : {}),
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  // Registers the tracer, the AsyncLocalStorage context manager and W3C trace-context propagation.
  provider.register();
  return {
    enabled: true,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  /** The parent, e.g. from extractTraceContext; the active context by default. */
  readonly parent?: Context;
}

/**
 * Runs `fn` in a new active span (a child of the current one): ended when `fn` settles, marked
 * as an error with the exception when it throws.
 */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, options: SpanOptions = {}): Promise<T> {
  const parent = options.parent ?? context.active();
  return trace.getTracer(TRACER).startActiveSpan(name, { attributes, kind: options.kind ?? SpanKind.INTERNAL }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

export function markFailed(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** The current trace context as headers (traceparent, tracestate) added to `headers`: for Kafka messages. */
export function injectTraceHeaders<H extends Record<string, string>>(headers: H): H & Record<string, string> {
  const carrier: Record<string, string> = { ...headers };
  propagation.inject(context.active(), carrier);
  return carrier as H & Record<string, string>;
}

/** The trace context that headers carry (an incoming traceparent), to parent a span on. */
export function extractTraceContext(headers: Readonly<Record<string, string | string[] | undefined>>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, {
    get: (carrier, key) => carrier[key] ?? carrier[key.toLowerCase()],
    keys: (carrier) => Object.keys(carrier),
  });
}

export { SpanKind };
export type { Context, Span };
