import { API_KEY_EVENT_TYPES, type ApiKeyEvent } from '../aggregates/apiKey/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { type Row, type RowModel } from './rows.js';
import { rowProjection } from './projection.js';

export const API_KEYS_TABLE = 'api_keys';

/** The list of a tenant's API keys (never the secret's hash: authentication reads the stream). */
export function reduceApiKey(row: Row | undefined, stored: StoredEvent): Row | undefined {
  const e = stored as StoredEvent<ApiKeyEvent>;
  const event = { type: e.eventType, data: e.payload } as ApiKeyEvent;
  const touch = { revision: e.revision.toString(), updated_at: e.timestamp };
  if (event.type === 'ApiKeyIssuedEvent') {
    if (row) return undefined;
    const d = event.data;
    return {
      tenant_id: e.tenantId,
      key_id: e.aggregateId,
      name: d.name,
      roles: d.roles,
      expires_at: d.expiresAt,
      revoked_at: null,
      revoked_by: null,
      revoke_reason: null,
      created_by: e.metadata.userId,
      created_at: e.timestamp,
      ...touch,
    };
  }
  if (!row) return undefined;
  return { ...row, revoked_at: e.timestamp, revoked_by: e.metadata.userId, revoke_reason: event.data.reason, ...touch };
}

const model: RowModel<Row> = {
  table: API_KEYS_TABLE,
  keyColumns: ['tenant_id', 'key_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, key_id: e.aggregateId }),
  reduce: reduceApiKey,
};

export const apiKeysProjection = rowProjection({ name: 'api-keys', version: 1, eventTypes: API_KEY_EVENT_TYPES, tables: [API_KEYS_TABLE] }, model);
