import type { ErrorRequestHandler, Request, Response } from 'express';
import { z } from 'zod';
import { isDatabaseUnavailable, isInvalidValue } from '../db/unavailable.js';
import { DomainError, type ErrorCode, type ErrorDetails } from '../shared/errors.js';
import type { Incident } from '../shared/incident.js';
import type { Logger } from '../shared/logger.js';

/** The seed 004 error envelope; every error response of the API has this shape. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details: ErrorDetails; request_id: string; timestamp: string };
}

export const STATUS: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

export function requestId(res: Response): string {
  return String(res.locals.requestId ?? '');
}

export function errorEnvelope(res: Response, code: ErrorCode, message: string, details: ErrorDetails = {}): ErrorEnvelope {
  return { error: { code, message, details, request_id: requestId(res), timestamp: new Date().toISOString() } };
}

export function sendError(res: Response, code: ErrorCode, message: string, details: ErrorDetails = {}): void {
  const envelope = errorEnvelope(res, code, message, details);
  if (res.locals.graphql !== true) {
    res.status(STATUS[code]).json(envelope);
    return;
  }
  // Refused before GraphQL ran (credentials, rate limit, a body that is not JSON): the same
  // content in GraphQL's shape, so a GraphQL client can read it.
  const { message: text, ...extensions } = envelope.error;
  res.status(STATUS[code]).json({ errors: [{ message: text, extensions }] });
}

/** zod issues as `{ fields: [{ field, message }] }`, naming every offending field. */
export function zodDetails(error: z.ZodError): ErrorDetails {
  return {
    fields: error.issues.flatMap((i) => {
      const at = i.path.map(String).join('.');
      // An unknown key is reported where it is, by its own name.
      if (i.code === 'unrecognized_keys') {
        return i.keys.map((k) => ({ field: at ? `${at}.${k}` : k, message: 'unknown field' }));
      }
      return [{ field: at || '(body)', message: i.message }];
    }),
  };
}

/** Seconds a client is told to wait when the database cannot be reached. */
const OUTAGE_RETRY_AFTER_S = 2;

export function errorHandler(log: Logger, database: Incident): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next) => {
    if (res.headersSent) return next(err);
    if (isDatabaseUnavailable(err)) {
      // An outage, not a bug: 503 the client can retry, one log line per outage.
      database.fail(err);
      res.setHeader('Retry-After', String(OUTAGE_RETRY_AFTER_S));
      const command = req.method !== 'GET' && req.method !== 'HEAD';
      return sendError(
        res,
        'SERVICE_UNAVAILABLE',
        command
          ? 'The database cannot be reached; the outcome of this command is unknown. Retry with the same Idempotency-Key to get its real outcome'
          : 'The database cannot be reached or did not answer in time; retry shortly',
        { retry_after_seconds: OUTAGE_RETRY_AFTER_S, ...(command ? { outcome: 'unknown' } : {}) },
      );
    }
    if (err instanceof DomainError) return sendError(res, err.code, err.message, err.details);
    if (err instanceof z.ZodError) return sendError(res, 'VALIDATION_ERROR', 'Invalid request', zodDetails(err));
    // PostgreSQL refusing a value (class 22: a NUL character, an invalid escape...) is the
    // client's input, not a fault of ours.
    if (isInvalidValue(err)) {
      return sendError(res, 'VALIDATION_ERROR', 'The request holds a value that cannot be stored (e.g. a NUL character)');
    }
    // body-parser's own errors (too large, bad encoding) carry a 4xx status.
    const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
    if (status === 413) return sendError(res, 'VALIDATION_ERROR', 'Request body too large');
    if (status >= 400 && status < 500) {
      return sendError(res, 'VALIDATION_ERROR', err instanceof Error ? err.message : 'Invalid request');
    }
    log.error('unhandled error', { request_id: requestId(res), error: err instanceof Error ? err.stack : String(err) });
    sendError(res, 'INTERNAL_ERROR', 'Internal error; the request id identifies it in the logs');
  };
}
