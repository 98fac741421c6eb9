import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { isDatabaseUnavailable, isInvalidValue } from '../db/unavailable.js';
import { zodDetails } from '../http/errors.js';
import { DomainError, type ErrorCode, type ErrorDetails } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/**
 * GraphQL errors carry seed 004's codes in `extensions.code`, with `details` (the fields at
 * fault, named as the client wrote them) and the request id: the REST envelope's content in
 * GraphQL's own shape. Nothing unexpected leaks: it becomes INTERNAL_ERROR, logged.
 */
const withCode = (message: string, code: ErrorCode, details: ErrorDetails, from?: GraphQLError) =>
  new GraphQLError(message, {
    ...(from ? { nodes: from.nodes, source: from.source, positions: from.positions, path: from.path } : {}),
    // Yoga's own HTTP status for a request error (400 for a body that is not JSON), kept.
    extensions: { code, details, ...(from?.extensions.http ? { http: from.extensions.http } : {}) },
  });

export function maskError(log: Logger) {
  return (error: unknown): Error => {
    const outer = error instanceof GraphQLError ? error : undefined;
    const original = outer?.originalError ?? error;
    // A scalar refusing a value: graphql-js's message names the input; keep it.
    if (original instanceof GraphQLError) return requestError(outer ?? original);
    if (original instanceof DomainError) return withCode(original.message, original.code, original.details, outer);
    if (original instanceof z.ZodError) return withCode('Invalid input', 'VALIDATION_ERROR', zodDetails(original), outer);
    if (isInvalidValue(original)) return withCode('The input holds a value that cannot be stored (e.g. a NUL character)', 'VALIDATION_ERROR', {}, outer);
    if (isDatabaseUnavailable(original)) {
      return withCode('The database is unavailable; a mutation may or may not have been applied: read before retrying', 'SERVICE_UNAVAILABLE', {}, outer);
    }
    if (outer && !outer.originalError) return requestError(outer);
    log.error('graphql resolver failed', { error: original instanceof Error ? original.stack ?? original.message : String(original) });
    return withCode('Internal error', 'INTERNAL_ERROR', {}, outer);
  };
}

/** Where graphql-js names the input at fault in a request error's message. */
function fieldIn(message: string): string | undefined {
  const variable = /^Variable "\$([^"]+)"/.exec(message)?.[1];
  const at = / at "([^"]+)"/.exec(message)?.[1] ?? variable;
  const missing = /Field "(?:[^".]+\.)?([^"]+)" of required type/.exec(message)?.[1];
  if (at) return missing ? `${at}.${missing}` : at;
  return [/^Unknown argument "([^"]+)"/, /^Field "(?:[^".]+\.)?([^"]+)"/, /^Argument "([^"]+)"/, /[Ff]ield "([^"]+)"/].map((re) => re.exec(message)?.[1]).find((f) => f !== undefined);
}

const CODES: ReadonlySet<string> = new Set<ErrorCode>(['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE']);

/**
 * An error of the request itself (it does not parse or validate, a value does not fit its type,
 * a depth or cost limit): VALIDATION_ERROR with the input at fault. Errors already coded by us
 * (their details set) pass as they are.
 */
export function requestError(error: GraphQLError): GraphQLError {
  const code = error.extensions.code;
  if (typeof code === 'string' && CODES.has(code) && error.extensions.details) return error;
  const field = fieldIn(error.message);
  return withCode(error.message, 'VALIDATION_ERROR', field ? { fields: [{ field, message: error.message }] } : {}, error);
}

/** A zod failure on a GraphQL input: the fields in the client's (camelCase) names, under `at`. */
export function inputError(error: z.ZodError, at: string): DomainError {
  const { fields } = zodDetails(error) as { fields: { field: string; message: string }[] };
  const camel = (f: string) => f.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return new DomainError('VALIDATION_ERROR', 'Invalid input', {
    fields: fields.map((f) => ({ ...f, field: f.field === '(body)' ? at : `${at}.${camel(f.field)}` })),
  });
}
