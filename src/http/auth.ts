import type { RequestHandler } from 'express';
import { type JWTPayload, SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../eventstore/streams.js';
import { DomainError } from '../shared/errors.js';
import { sendError } from './errors.js';

/**
 * Bearer JWT identity on every /api request: tenant, user and roles. HS256 with the
 * configured secret (jose verifies signature, expiry and not-before). The tenant in the token
 * is the only tenant a request can touch.
 */
export interface Identity {
  readonly tenantId: string;
  readonly userId: string;
  readonly roles: readonly string[];
}

export const ROLES = ['sales_rep', 'sales_manager', 'admin', 'compliance', 'integration'] as const;

const claims = z.object({
  sub: z.string().min(1).max(128),
  tenant_id: z.string().regex(TENANT_ID_PATTERN, 'invalid tenant id'),
  roles: z.array(z.string().min(1)).min(1),
});

export interface AuthOptions {
  readonly secret: string;
  readonly issuer?: string;
  readonly audience?: string;
}

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export function authenticate(options: AuthOptions): RequestHandler {
  const key = keyOf(options.secret);
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return sendError(res, 'UNAUTHORIZED', 'A bearer token is required (Authorization: Bearer <jwt>)');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(m[1]!, key, {
        algorithms: ['HS256'],
        // A token without an expiry would be valid for ever.
        requiredClaims: ['exp'],
        ...(options.issuer ? { issuer: options.issuer } : {}),
        ...(options.audience ? { audience: options.audience } : {}),
      }));
    } catch (err) {
      const reason = err instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token';
      return sendError(res, 'UNAUTHORIZED', `Bearer token rejected: ${reason}`);
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) {
      return sendError(res, 'UNAUTHORIZED', 'Bearer token lacks the tenant_id, sub or roles claims', {
        fields: parsed.error.issues.map((i) => i.path.join('.')),
      });
    }
    const identity: Identity = { tenantId: parsed.data.tenant_id, userId: parsed.data.sub, roles: parsed.data.roles };
    res.locals.identity = identity;
    next();
  };
}

/** FORBIDDEN unless the token carries one of `roles`. */
export function requireRole(res: { locals: Record<string, unknown> }, roles: readonly string[]): Identity {
  const identity = identityOf(res);
  if (!identity.roles.some((r) => roles.includes(r))) {
    throw new DomainError('FORBIDDEN', `This needs one of the roles ${roles.join(', ')}`, { required_roles: [...roles] });
  }
  return identity;
}

export function identityOf(res: { locals: Record<string, unknown> }): Identity {
  const id = res.locals.identity as Identity | undefined;
  if (!id) throw new Error('route is not behind authenticate()');
  return id;
}

/** Mints a token; for development (scripts/token.ts) and tests. */
export async function mintToken(
  secret: string,
  identity: Identity,
  options: { expiresIn?: string; issuer?: string; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT({ tenant_id: identity.tenantId, roles: [...identity.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(identity.userId)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '8h');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(keyOf(secret));
}
