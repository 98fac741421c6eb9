import { Router } from 'express';
import { z } from 'zod';
import { newApiKey } from '../../access/apiKeys.js';
import { ROLES } from '../../access/roles.js';
import { type ApiKeyState, apiKeyAggregate } from '../../aggregates/apiKey/index.js';
import type { CommandResult } from '../../commands/handler.js';
import { type ApiKeyRow, getApiKey, listApiKeys } from '../../projections/apiKeyQueries.js';
import { apiKeysProjection } from '../../projections/apiKeys.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { notFound } from '../../shared/errors.js';
import { accessOf, can } from '../auth.js';
import { type CommandRouteDeps, etagOf, runCommand } from '../commandReply.js';
import { awaitReadModel } from '../consistency.js';
import { sendHistory } from '../history.js';
import { id, oneOf, pagination, text, minPosition } from '../fields.js';
import type { ApiRoute } from '../openapi.js';
import { type Unwritten, historyBody } from '../responses/common.js';
import { apiKeyBody, apiKeyPage, apiKeyResult } from '../responses/admin.js';

/**
 * API keys for integrations (seed 004 X-API-Key), managed by admins: the secret is shown once,
 * in the answer that creates it, and kept only as a hash. A request with a key acts as
 * `apikey:<id>` with the key's roles (a key with sales_rep sees what that actor owns).
 */
export interface ApiKeyRouteDeps extends CommandRouteDeps {
  readonly runner: ProjectionRunner;
  readonly maxConsistencyWaitMs: number;
}

const role = oneOf(ROLES, 'lower');

export const createApiKeyBody = z.strictObject({
  name: text(200),
  roles: z.array(role).min(1).max(ROLES.length),
  expires_at: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant, e.g. 2027-01-01T00:00:00Z' }).optional(),
});

export const revokeApiKeyBody = z.strictObject({ reason: text(500).optional() });

export const listApiKeysQuery = pagination.extend({
  include_revoked: z.enum(['true', 'false']).transform((v) => v === 'true').default(false),
  min_position: minPosition,
});

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function apiKeyDto(row: ApiKeyRow): z.input<typeof apiKeyBody> {
  return {
    id: row.key_id,
    name: row.name,
    roles: row.roles,
    actor: `apikey:${row.key_id}`,
    expires_at: iso(row.expires_at),
    revoked: row.revoked_at !== null,
    revoked_at: iso(row.revoked_at),
    revoked_by: row.revoked_by,
    revoke_reason: row.revoke_reason,
    last_used_at: iso(row.last_used_at),
    revision: row.revision,
    created_by: row.created_by,
    created_at: iso(row.created_at),
  };
}

function renderKey(result: CommandResult<ApiKeyState>): Unwritten<typeof apiKeyResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return { id: s.keyId, name: s.name, roles: [...s.roles], actor: `apikey:${s.keyId}`, expires_at: s.expiresAt, revoked: s.revoked };
}

export function apiKeyRoutes(deps: ApiKeyRouteDeps): Router {
  const r = Router();

  r.post('/', can('apiKey', 'write'), async (req, res) => {
    const b = createApiKeyBody.parse(req.body ?? {});
    const { keyId, key, secretHash } = newApiKey(accessOf(res).tenantId);
    await runCommand(deps, req, res, {
      aggregate: apiKeyAggregate,
      aggregateId: keyId,
      status: 201,
      location: `${req.baseUrl}/${keyId}`,
      command: {
        type: 'IssueApiKey',
        keyId,
        name: b.name,
        roles: [...new Set(b.roles)],
        ...(b.expires_at ? { expiresAt: new Date(b.expires_at).toISOString() } : {}),
        secretHash,
      },
      // The only time the secret is ever shown: an Idempotency-Key replay answers with key null.
      render: (result) => ({ ...renderKey(result), key }),
      secretFields: ['key'],
    });
  });

  r.post('/:id/revoke', can('apiKey', 'write'), async (req, res) => {
    const b = revokeApiKeyBody.parse(req.body ?? {});
    await runCommand(deps, req, res, {
      aggregate: apiKeyAggregate,
      aggregateId: id.parse(req.params.id),
      status: 200,
      command: { type: 'RevokeApiKey', ...(b.reason ? { reason: b.reason } : {}) },
      render: renderKey,
    });
  });

  r.get('/', can('apiKey', 'read'), async (req, res) => {
    const q = listApiKeysQuery.parse(req.query);
    await awaitReadModel(req, res, deps.runner, apiKeysProjection.name, deps.maxConsistencyWaitMs);
    const { rows, total } = await listApiKeys(deps.db, accessOf(res).tenantId, { includeRevoked: q.include_revoked }, q);
    res.json({ data: rows.map(apiKeyDto), pagination: { total, limit: q.limit, offset: q.offset, has_more: q.offset + rows.length < total } });
  });

  r.get('/:id', can('apiKey', 'read'), async (req, res) => {
    const keyId = id.parse(req.params.id);
    await awaitReadModel(req, res, deps.runner, apiKeysProjection.name, deps.maxConsistencyWaitMs);
    const row = await getApiKey(deps.db, accessOf(res).tenantId, keyId);
    if (!row) throw notFound(`API key ${keyId} not found`, { id: keyId });
    res.setHeader('ETag', etagOf(row.revision));
    res.json(apiKeyDto(row));
  });

  r.get('/:id/history', can('apiKey', 'read'), async (req, res) => {
    await sendHistory(res, deps.store, { aggregate: apiKeyAggregate, aggregateId: id.parse(req.params.id), label: 'API key' });
  });

  return r;
}

export const apiKeyApi: readonly ApiRoute[] = [
  { method: 'post', path: '/api/v1/api-keys', summary: 'Create an API key (admin); the secret is in this answer only', body: createApiKeyBody, success: 201, response: apiKeyResult, access: ['apiKey', 'write'] },
  { method: 'get', path: '/api/v1/api-keys', summary: "The tenant's API keys with their last use (admin); never the secrets", query: listApiKeysQuery, success: 200, response: apiKeyPage, access: ['apiKey', 'read'] },
  { method: 'get', path: '/api/v1/api-keys/{id}', summary: 'One API key (admin)', success: 200, response: apiKeyBody, access: ['apiKey', 'read'] },
  { method: 'post', path: '/api/v1/api-keys/{id}/revoke', summary: 'Revoke an API key: refused on every instance from then on (admin)', body: revokeApiKeyBody, success: 200, response: apiKeyResult, access: ['apiKey', 'write'], ifMatch: true },
  { method: 'get', path: '/api/v1/api-keys/{id}/history', summary: 'Audit trail of the key, from its stream (admin)', success: 200, response: historyBody, access: ['apiKey', 'read'] },
];
