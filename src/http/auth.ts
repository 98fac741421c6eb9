import type { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { API_KEY_ACTOR_PREFIX, type Access } from '../access/access.js';
import type { ApiKeyVerifier } from '../access/apiKeys.js';
import { knownRoles } from '../access/roles.js';
import { TokenError, type TokenVerifier } from '../access/tokens.js';
import { managedUsers } from '../projections/teamQueries.js';
import { DomainError, type ErrorCode, type ErrorDetails } from '../shared/errors.js';
import { sendError } from './errors.js';
import type { RateLimiter } from './rateLimit.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Who is asking, on every /api request: a bearer token (HS256 or an identity provider's JWKS),
 * an X-API-Key, or both. With both, both must be valid and of one tenant; the request acts as
 * the token's user with the token's roles, and the key is recorded on its events as the client
 * (`apiKeyId`). Then the caller's rate limits, then deny by default: credentials that carry
 * none of the known roles get 403 on every endpoint.
 */
export interface AuthDeps {
  readonly verifyToken: TokenVerifier;
  readonly apiKeys: ApiKeyVerifier;
  readonly db: Knex;
  readonly rateLimiter?: RateLimiter;
  /** rate_limit_rejections_total. */
  readonly metrics?: Metrics;
  /**
   * Read-your-writes for the team directory: resolves once the teams read model holds the
   * position the request names (?min_position= or X-Min-Position), at once when it names none.
   */
  readonly teamsCaughtUp: (req: Request, res: Response) => Promise<void>;
}

class AuthFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

const unauthorized = (message: string, details?: ErrorDetails) => new AuthFailure('UNAUTHORIZED', message, details);

async function identify(req: Request, deps: AuthDeps): Promise<Omit<Access, 'managedUsers'>> {
  const authorization = req.get('authorization');
  const apiKey = req.get('x-api-key');
  if (authorization === undefined && apiKey === undefined) {
    throw unauthorized('A bearer token (Authorization: Bearer <jwt>) or an API key (X-API-Key) is required');
  }
  const key = apiKey === undefined ? undefined : await deps.apiKeys.verify(apiKey);
  if (apiKey !== undefined && !key) throw unauthorized('API key rejected: unknown, revoked or expired');
  if (authorization === undefined) {
    return { tenantId: key!.tenantId, actorId: `${API_KEY_ACTOR_PREFIX}${key!.keyId}`, roles: [...key!.roles], apiKeyId: key!.keyId };
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!bearer) throw unauthorized('The Authorization header must be "Bearer <jwt>"');
  let token;
  try {
    token = await deps.verifyToken(bearer[1]!);
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    if (err.unavailable) throw new AuthFailure('SERVICE_UNAVAILABLE', err.reason);
    throw unauthorized(`Bearer token rejected: ${err.reason}`, err.fields.length ? { fields: [...err.fields] } : {});
  }
  if (key && key.tenantId !== token.tenantId) throw unauthorized('The API key and the bearer token belong to different tenants');
  return { tenantId: token.tenantId, actorId: token.userId, roles: knownRoles(token.roles), ...(key ? { apiKeyId: key.keyId } : {}) };
}

const unlessInvalidPosition = (err: unknown) => {
  if (!(err instanceof DomainError && err.code === 'VALIDATION_ERROR')) throw err;
};

export function authenticate(deps: AuthDeps): RequestHandler {
  return async (req, res, next) => {
    let who: Omit<Access, 'managedUsers'> | undefined;
    let failure: AuthFailure | undefined;
    try {
      who = await identify(req, deps);
    } catch (err) {
      if (!(err instanceof AuthFailure)) return next(err);
      failure = err;
    }
    if (deps.rateLimiter) {
      // Unauthenticated requests are limited per address, so guessing keys costs a flood nothing extra.
      const verdict = await deps.rateLimiter.check(who ? `${who.tenantId}/${who.actorId}` : `ip/${req.ip ?? 'unknown'}`);
      res.setHeader('X-RateLimit-Limit', String(verdict.limit));
      res.setHeader('X-RateLimit-Remaining', String(verdict.remaining));
      res.setHeader('X-RateLimit-Reset', String(verdict.reset));
      if (!verdict.allowed) {
        deps.metrics?.rateLimitRejections.inc({ limit: verdict.scope ?? 'user' });
        res.setHeader('Retry-After', String(verdict.retryAfter ?? 1));
        const what = verdict.scope === 'burst' ? 'per second' : verdict.scope === 'global' ? 'for the whole service' : 'per minute';
        return sendError(res, 'RATE_LIMIT_EXCEEDED', `Too many requests ${what}; retry after ${verdict.retryAfter ?? 1} s`, {
          scope: verdict.scope,
          retry_after_seconds: verdict.retryAfter ?? 1,
        });
      }
    }
    if (failure) {
      if (failure.code === 'SERVICE_UNAVAILABLE') res.setHeader('Retry-After', '5');
      return sendError(res, failure.code, failure.message, failure.details);
    }
    if (who!.roles.length === 0) {
      return sendError(res, 'FORBIDDEN', 'The credentials carry none of the roles sales_rep, sales_manager, admin, compliance', {
        required_roles: ['sales_rep', 'sales_manager', 'admin', 'compliance'],
      });
    }
    try {
      const manager = who!.roles.includes('sales_manager');
      // A manager's reach is read from the team directory, a read model: a request that names a
      // position sees the directory as of that position, as it sees its records. A position it
      // cannot use (malformed, past the log) is the endpoint's to report, as for any other caller.
      if (manager) await deps.teamsCaughtUp(req, res).catch(unlessInvalidPosition);
      const managed = manager ? await managedUsers(deps.db, who!.tenantId, who!.actorId) : [];
      const access: Access = { ...who!, managedUsers: managed };
      res.locals.access = access;
    } catch (err) {
      return next(err);
    }
    next();
  };
}

export function accessOf(res: Response | { locals: Record<string, unknown> }): Access {
  const access = res.locals.access as Access | undefined;
  if (!access) throw new Error('route is not behind authenticate()');
  return access;
}
