import {
  type JWTPayload,
  type JWTVerifyGetKey,
  SignJWT,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { TENANT_ID_PATTERN } from '../eventstore/streams.js';
import { isUserId } from './roles.js';

/**
 * Bearer tokens: HS256 with a shared secret, and/or RS256/ES256 (and kin) verified against an
 * identity provider's JWKS, fetched and cached by jose. Claims are read through a mapping, so
 * common providers fit without code (Keycloak's `realm_access.roles`, Azure AD's `tid`, a
 * namespaced Auth0 claim...). The token must carry `exp`; `iss`/`aud` are checked when set.
 */
export interface ClaimMapping {
  /** Claim holding the tenant id; a literal claim name or a dotted path. */
  readonly tenant: string;
  readonly user: string;
  /** An array of role names, or one string of names separated by spaces or commas. */
  readonly roles: string;
}

export const DEFAULT_CLAIMS: ClaimMapping = { tenant: 'tenant_id', user: 'sub', roles: 'roles' };
export const DEFAULT_JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'] as const;

export interface TokenVerifierOptions {
  /** HS256 secret; unset: HS256 tokens are refused. */
  readonly hsSecret?: string;
  readonly jwksUrl?: string;
  readonly jwksAlgorithms?: readonly string[];
  /** How long fetched keys are trusted before the set is fetched again (a removed key stops working then). */
  readonly jwksCacheMaxAgeMs?: number;
  readonly issuer?: string;
  readonly audience?: string;
  readonly claims?: ClaimMapping;
}

export interface TokenIdentity {
  readonly tenantId: string;
  readonly userId: string;
  /** As the token has them; the policy keeps only the roles it knows. */
  readonly roles: readonly string[];
}

/**
 * A token that does not authenticate; `reason` is safe to show to the client. `unavailable`:
 * the identity provider's keys could not be fetched, which is an outage, not a bad token.
 */
export class TokenError extends Error {
  constructor(
    readonly reason: string,
    readonly fields: readonly string[] = [],
    readonly unavailable = false,
  ) {
    super(reason);
    this.name = 'TokenError';
  }
}

/** A claim by its literal name first (namespaced URLs hold dots), then as a dotted path. */
export function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  let at: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null || !(part in at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function rolesOf(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.filter((v) => v.trim() !== '');
  return undefined;
}

/**
 * The provider's keys: unknown key ids refetch the set at once, but one id at most once a minute
 * and ten ids a minute in all. If the provider cannot be reached (or answers nonsense) when the
 * set is due for a refresh, the last set fetched keeps verifying tokens: an identity provider's
 * outage must not take the API down with it.
 */
function remoteKeys(url: string, cacheMaxAge: number): JWTVerifyGetKey {
  let lastGood: ReturnType<typeof createLocalJWKSet> | undefined;
  // Every set the provider serves is kept as the fallback, whatever jose does with it.
  const keepingFetch = async (input: string, init: Parameters<typeof fetch>[1]) => {
    const res = await fetch(input, init);
    if (res.ok) {
      try {
        lastGood = createLocalJWKSet((await res.clone().json()) as Parameters<typeof createLocalJWKSet>[0]);
      } catch {
        /* not a key set: jose refuses it too */
      }
    }
    return res;
  };
  const jwks = createRemoteJWKSet(new URL(url), { cacheMaxAge, cooldownDuration: Number.POSITIVE_INFINITY, [customFetch]: keepingFetch });
  const tried = new Map<string, number>();
  const fetchFailed = (err: unknown) => !(err instanceof joseErrors.JOSEError) || err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || /JSON Web Key Set HTTP response/.test(err.message);
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      if (fetchFailed(err)) {
        if (lastGood) return lastGood(header, token);
        throw new TokenError('the identity provider could not be reached to verify the token', [], true);
      }
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      const now = Date.now();
      for (const [kid, at] of tried) if (at < now - 60_000) tried.delete(kid);
      const kid = header.kid ?? '';
      if (tried.has(kid) || tried.size >= 10) throw err;
      tried.set(kid, now);
      // A key the cached set lacks: the provider may have rotated. Look once more.
      await jwks.reload();
      return jwks(header, token);
    }
  };
}

export type TokenVerifier = (token: string) => Promise<TokenIdentity>;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const claims = options.claims ?? DEFAULT_CLAIMS;
  const secret = options.hsSecret ? new TextEncoder().encode(options.hsSecret) : undefined;
  const remote = options.jwksUrl ? remoteKeys(options.jwksUrl, options.jwksCacheMaxAgeMs ?? 60_000) : undefined;
  const algorithms = [...(secret ? ['HS256'] : []), ...(remote ? (options.jwksAlgorithms ?? DEFAULT_JWKS_ALGORITHMS) : [])];
  if (algorithms.length === 0) throw new Error('no way to verify tokens: give an HS256 secret or a JWKS URL');
  // The header's alg picks the key; jose refuses any alg outside `algorithms` (so no "none",
  // and no HS256 signed with a public key).
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (remote) return remote(header, token);
    throw new TokenError('invalid token');
  };

  return remembered(verify);

  async function verify(token: string): Promise<Verified> {
    let payload: JWTPayload;
    let alg: string | undefined;
    try {
      ({ payload, protectedHeader: { alg } } = await jwtVerify(token, getKey, {
        algorithms,
        // A token without an expiry would be valid for ever.
        requiredClaims: ['exp'],
        ...(options.issuer ? { issuer: options.issuer } : {}),
        ...(options.audience ? { audience: options.audience } : {}),
      }));
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new TokenError('token expired');
      if (err instanceof joseErrors.JWKSNoMatchingKey) throw new TokenError('unknown signing key');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw new TokenError(`claim ${err.claim} rejected`);
      if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError)) {
        // The identity provider could not be reached: not the client's fault.
        throw new TokenError('the identity provider could not be reached to verify the token', [], true);
      }
      throw new TokenError('invalid token');
    }
    const tenantId = claimAt(payload, claims.tenant);
    const userId = claimAt(payload, claims.user);
    const roles = rolesOf(claimAt(payload, claims.roles));
    const missing = [
      ...(typeof tenantId === 'string' && TENANT_ID_PATTERN.test(tenantId) ? [] : [claims.tenant]),
      // A provider's subject may not pose as an API key or the service itself.
      ...(typeof userId === 'string' && isUserId(userId) ? [] : [claims.user]),
      ...(roles && roles.length > 0 ? [] : [claims.roles]),
    ];
    if (missing.length) throw new TokenError(`the token lacks valid claims: ${missing.join(', ')}`, missing);
    const identity = { tenantId: tenantId as string, userId: userId as string, roles: roles! };
    return { identity, expiresAt: (payload.exp ?? 0) * 1000, shared: alg === 'HS256' };
  }
}

interface Verified {
  readonly identity: TokenIdentity;
  readonly expiresAt: number;
  /** Signed with the shared secret, which cannot change under the running service. */
  readonly shared: boolean;
}

/**
 * A verified HS256 token is remembered, so that a client's every request does not pay for its
 * signature check again (some 6% of a stage change's CPU, issue 14): until it expires, and at
 * most 30 s. Tokens of an identity provider are verified every time: a key removed from its JWKS
 * must be refused as soon as jose learns of it. Only successes are kept; the map is bounded.
 */
const VERIFIED_TTL_MS = 30_000;
const VERIFIED_MAX = 10_000;

function remembered(verify: (token: string) => Promise<Verified>): TokenVerifier {
  const verified = new Map<string, { identity: TokenIdentity; until: number }>();
  // Requests that arrive with a token while it is being verified wait for that one check.
  const pending = new Map<string, Promise<Verified>>();
  return async (token) => {
    const now = Date.now();
    const known = verified.get(token);
    if (known && known.until > now) return known.identity;
    if (known) verified.delete(token);
    let check = pending.get(token);
    if (!check) {
      check = verify(token).finally(() => pending.delete(token));
      pending.set(token, check);
    }
    const { identity, expiresAt, shared } = await check;
    if (!shared) return identity;
    if (verified.size >= VERIFIED_MAX) verified.clear();
    verified.set(token, { identity, until: Math.min(expiresAt, now + VERIFIED_TTL_MS) });
    return identity;
  };
}

/** Mints an HS256 token with the default claims; for development (scripts/token.ts) and tests. */
export async function mintToken(
  secret: string,
  identity: TokenIdentity,
  options: { expiresIn?: string; issuer?: string; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT({ tenant_id: identity.tenantId, roles: [...identity.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(identity.userId)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '8h');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
