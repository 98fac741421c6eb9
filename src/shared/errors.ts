/**
 * Errors with a meaning for the client. The codes are seed 004's; the HTTP layer maps them to
 * statuses (http/errors.ts). Anything else that escapes is an INTERNAL_ERROR.
 */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMIT_EXCEEDED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export type ErrorDetails = Readonly<Record<string, unknown>>;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const validation = (message: string, details?: ErrorDetails) => new DomainError('VALIDATION_ERROR', message, details);
export const notFound = (message: string, details?: ErrorDetails) => new DomainError('NOT_FOUND', message, details);
export const conflict = (message: string, details?: ErrorDetails) => new DomainError('CONFLICT', message, details);
