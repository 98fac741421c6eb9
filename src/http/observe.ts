import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { type Context, SpanKind, context, trace } from '@opentelemetry/api';
import type { Access } from '../access/access.js';
import type { Metrics } from '../observability/metrics.js';
import { type RequestContext, runInRequest } from '../observability/requestContext.js';
import { extractTraceContext, markFailed } from '../observability/tracing.js';
import type { Logger } from '../shared/logger.js';

interface Observed {
  readonly log: RequestContext;
  readonly trace: Context;
}

/**
 * The first middleware: the request id (X-Request-Id, ours unless the client sent a sane one),
 * the log context (ids now, tenant and user after authentication), the server span (continuing
 * an incoming traceparent), and at the end the request's log line and duration metric.
 */
export function observeRequests(deps: { log: Logger; metrics: Metrics; routeOf: (req: Request) => string }): RequestHandler {
  const tracer = trace.getTracer('crm-pipeline');
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && /^[\x21-\x7e]{1,128}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    const log: RequestContext = { request_id: id, correlation_id: req.get('x-correlation-id')?.slice(0, 200) || id };
    const parent = extractTraceContext(req.headers);
    const span = tracer.startSpan(
      `${req.method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
      parent,
    );
    const observed: Observed = { log, trace: trace.setSpan(parent, span) };
    res.locals.observed = observed;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = deps.routeOf(req);
      deps.metrics.httpRequestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
      if (res.statusCode >= 500) markFailed(span, new Error(`HTTP ${res.statusCode}`));
      span.end();
      runInRequest(log, () =>
        deps.log.debug('request', { method: req.method, path: req.originalUrl, route, status: res.statusCode, ms: seconds * 1000 }),
      );
    });
    runInRequest(log, () => context.with(observed.trace, next));
  };
}

/**
 * Adds the caller to the request's log context once authenticated, and enters the log and trace
 * context again: middleware that calls on from stream or library callbacks (body parsers,
 * GraphQL) must not leave the rest of the request in some other context.
 */
export const rejoinRequest: RequestHandler = (_req, res: Response, next) => {
  const observed = res.locals.observed as Observed | undefined;
  if (!observed) return next();
  const access = res.locals.access as Access | undefined;
  if (access) {
    observed.log.tenant_id = access.tenantId;
    observed.log.user_id = access.actorId;
  }
  runInRequest(observed.log, () => context.with(observed.trace, next));
};
