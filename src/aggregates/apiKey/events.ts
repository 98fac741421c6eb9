import type { Role } from '../../access/roles.js';
import type { DomainEvent } from '../decider.js';

/**
 * An integration's API key (seed 004 X-API-Key). The secret itself is never stored: the event
 * holds its SHA-256, which identifies a 256-bit random secret without revealing it.
 */
export type ApiKeyIssued = DomainEvent<
  'ApiKeyIssuedEvent',
  { keyId: string; name: string; roles: Role[]; expiresAt: string | null; secretHash: string }
>;
export type ApiKeyRevoked = DomainEvent<'ApiKeyRevokedEvent', { keyId: string; reason: string | null }>;

export type ApiKeyEvent = ApiKeyIssued | ApiKeyRevoked;

export const API_KEY_EVENT_TYPES = ['ApiKeyIssuedEvent', 'ApiKeyRevokedEvent'] as const satisfies readonly ApiKeyEvent['type'][];
