import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { type ApiKeyEvent, apiKeyAggregate, isKeyUsable } from '../aggregates/apiKey/index.js';
import { fold } from '../aggregates/decider.js';
import { fromRecorded, toDomainEvent } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import { TENANT_ID_PATTERN, streamName } from '../eventstore/streams.js';
import { touchApiKey } from '../projections/apiKeyQueries.js';
import type { Role } from './roles.js';

/**
 * API keys for integrations (seed 004 X-API-Key): `crm.<tenant>.<key id>.<secret>`, the secret
 * 32 random bytes. The tenant and id in the key lead straight to the key's own stream, so a
 * check reads a handful of events: a revocation holds on every instance from the moment it is
 * appended, with no cache to expire. Only the secret's SHA-256 is kept.
 */
const KEY_PATTERN = /^crm\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

export function newApiKey(tenantId: string): { keyId: string; key: string; secretHash: string } {
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new Error(`invalid tenant id ${tenantId}`);
  const keyId = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { keyId, key: `crm.${tenantId}.${keyId}.${secret}`, secretHash: hashSecret(secret) };
}

export interface ApiKeyIdentity {
  readonly tenantId: string;
  readonly keyId: string;
  readonly roles: readonly Role[];
}

/** How often one process records a key's last use: a timestamp, not an audit trail. */
const TOUCH_EVERY_MS = 60_000;

export interface ApiKeyVerifier {
  /** The key's identity, or undefined for a malformed, unknown, revoked or expired key. */
  verify(key: string, now?: Date): Promise<ApiKeyIdentity | undefined>;
}

export function createApiKeyVerifier(deps: { store: EventStore; db: Knex }): ApiKeyVerifier {
  const touched = new Map<string, number>();
  return {
    async verify(key, now = new Date()) {
      const m = KEY_PATTERN.exec(key.trim());
      if (!m) return undefined;
      const [, tenantId, keyId, secret] = m as unknown as [string, string, string, string];
      const events = await deps.store.readStream(streamName({ category: apiKeyAggregate.category, tenantId, aggregateId: keyId }));
      const state = fold(apiKeyAggregate.decider, events.map((r) => toDomainEvent(fromRecorded<ApiKeyEvent>(r))));
      if (!isKeyUsable(state, now)) return undefined;
      const expected = Buffer.from(state.secretHash, 'hex');
      const given = Buffer.from(hashSecret(secret), 'hex');
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      const seen = `${tenantId}/${keyId}`;
      if ((touched.get(seen) ?? 0) + TOUCH_EVERY_MS <= now.getTime()) {
        touched.set(seen, now.getTime());
        // Best effort: a lost timestamp must not fail the request it describes.
        touchApiKey(deps.db, tenantId, keyId, now).catch(() => touched.delete(seen));
      }
      return { tenantId, keyId, roles: state.roles };
    },
  };
}
