import type { Role } from '../../access/roles.js';

export type ApiKeyCommand =
  /** The front door draws the secret and passes its hash: the decider stays pure. */
  | { type: 'IssueApiKey'; keyId: string; name: string; roles: readonly Role[]; expiresAt?: string; secretHash: string }
  | { type: 'RevokeApiKey'; reason?: string };
