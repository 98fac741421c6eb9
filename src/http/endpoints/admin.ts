import { newApiKey } from '../../access/apiKeys.js';
import { apiKeyAggregate } from '../../aggregates/apiKey/index.js';
import { teamAggregate } from '../../aggregates/team/index.js';
import { issueApiKey, revokeApiKey } from '../../commands/apiKeys.js';
import type { Caller } from '../../commands/context.js';
import { type TeamResult, addTeamMember, createTeam, disbandTeam, removeTeamMember, updateTeam } from '../../commands/teams.js';
import { readModelAsOf } from '../../compliance/asOf.js';
import { streamName, tenantStreamPrefix } from '../../eventstore/streams.js';
import { getApiKey, listApiKeys } from '../../projections/apiKeyQueries.js';
import { apiKeysProjection } from '../../projections/apiKeys.js';
import { getTeam, listTeams, managedUsers } from '../../projections/teamQueries.js';
import { teamsProjection } from '../../projections/teams.js';
import { notFound } from '../../shared/errors.js';
import { commandReply, etagOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { asOfQuery } from '../fields.js';
import { sendHistory } from '../history.js';
import { apiKeyDto, renderApiKey, renderTeam, teamDto } from '../render/admin.js';
import { createApiKeyBody, createTeamBody, listApiKeysQuery, listTeamsQuery, reasonBody, updateTeamBody } from '../requests/admin.js';
import { apiKeyBody, apiKeyPage, apiKeyResult, meBody, teamBody, teamPage, teamResult } from '../responses/admin.js';
import { historyBody } from '../responses/common.js';

/**
 * Access administration: the team directory (a manager's reach is its teams' members; every
 * change an event, so as_of answers who was in which team), API keys for integrations, and
 * /me. Admins change them; everyone reads the directory; only admins see keys.
 */
const TEAMS = '/api/v1/teams';
const KEYS = '/api/v1/api-keys';
const teamWrite = ['team', 'write'] as const;
const teamRead = ['team', 'read'] as const;

const onTeam = (call: Call<unknown, unknown, ApiDeps>, run: (caller: Caller) => Promise<TeamResult>, status: 200 | 201 = 200, teamId = call.params.id!) =>
  commandReply(call, { aggregate: teamAggregate, aggregateId: teamId, status, run, render: renderTeam, ...(status === 201 ? { location: `${TEAMS}/${teamId}` } : {}) });

export const adminEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'get',
    path: '/api/v1/me',
    summary: 'The caller: tenant, user, known roles, teams it is in and manages',
    success: 200,
    response: meBody,
    handle: async ({ access, deps }) => {
      const active = { limit: 200, offset: 0 };
      const [memberOf, manages] = await Promise.all([
        listTeams(deps.db, access.tenantId, { memberId: access.actorId, active: true }, active),
        listTeams(deps.db, access.tenantId, { managerId: access.actorId, active: true }, active),
      ]);
      return {
        body: {
          tenant_id: access.tenantId,
          user_id: access.actorId,
          roles: access.roles,
          api_key_id: access.apiKeyId ?? null,
          member_of_teams: memberOf.rows.map((t) => t.team_id),
          manages_teams: manages.rows.map((t) => t.team_id),
          managed_users: access.roles.includes('sales_manager') ? await managedUsers(deps.db, access.tenantId, access.actorId) : [],
        },
      };
    },
  }),
  endpoint({
    method: 'post',
    path: TEAMS,
    summary: 'Create a team with its manager and members (admin)',
    access: teamWrite,
    body: createTeamBody,
    success: 201,
    response: teamResult,
    handle: (call) => onTeam(call, (caller) => createTeam(call.deps, caller, call.body), 201, call.body.teamId),
  }),
  endpoint({
    method: 'get',
    path: TEAMS,
    summary: 'The team directory; as_of: as it stood then',
    access: teamRead,
    query: listTeamsQuery,
    success: 200,
    response: teamPage,
    handle: async (call) => {
      const { query: q, deps } = call;
      const { tenantId } = call.access;
      const filters = { managerId: q.manager_id, memberId: q.member_id, active: q.active };
      const source = { filter: { streamPrefixes: [tenantStreamPrefix(teamAggregate.category, tenantId)] } };
      if (!q.as_of) await readYourWrites(call, teamsProjection.name);
      const { rows, total } = q.as_of
        ? await readModelAsOf(deps, teamsProjection, source, { at: new Date(q.as_of) }, (trx) => listTeams(trx, tenantId, filters, q))
        : await listTeams(deps.db, tenantId, filters, q);
      return { body: { ...(q.as_of ? { as_of: new Date(q.as_of).toISOString() } : {}), ...paged(rows.map(teamDto), total, q) } };
    },
  }),
  endpoint({
    method: 'get',
    path: `${TEAMS}/{id}`,
    summary: 'One team with its members; as_of / as_of_revision: as it stood then',
    access: teamRead,
    query: asOfQuery,
    success: 200,
    response: teamBody,
    handle: async (call) => {
      const id = call.params.id!;
      const { tenantId } = call.access;
      const moment = call.query;
      if (!moment) await readYourWrites(call, teamsProjection.name);
      const team = moment
        ? await readModelAsOf(call.deps, teamsProjection, { streamId: streamName({ category: teamAggregate.category, tenantId, aggregateId: id }) }, moment, (trx) =>
            getTeam(trx, tenantId, id),
          )
        : await getTeam(call.deps.db, tenantId, id);
      if (!team) throw notFound(`Team ${id} not found${moment ? ' at that moment' : ''}`, { id });
      return { headers: { ETag: etagOf(team.revision) }, body: teamDto(team) };
    },
  }),
  endpoint({
    method: 'patch',
    path: `${TEAMS}/{id}`,
    summary: 'Rename a team or change its manager (admin)',
    access: teamWrite,
    body: updateTeamBody,
    success: 200,
    response: teamResult,
    ifMatch: true,
    handle: (call) => onTeam(call, (caller) => updateTeam(call.deps, caller, { teamId: call.params.id!, ...call.body })),
  }),
  endpoint({
    method: 'put',
    path: `${TEAMS}/{id}/members/{userId}`,
    summary: 'Add a member (admin)',
    access: teamWrite,
    success: 200,
    response: teamResult,
    ifMatch: true,
    handle: (call) => onTeam(call, (caller) => addTeamMember(call.deps, caller, call.params.id!, call.params.userId!)),
  }),
  endpoint({
    method: 'delete',
    path: `${TEAMS}/{id}/members/{userId}`,
    summary: 'Remove a member (admin)',
    access: teamWrite,
    success: 200,
    response: teamResult,
    ifMatch: true,
    handle: (call) => onTeam(call, (caller) => removeTeamMember(call.deps, caller, call.params.id!, call.params.userId!)),
  }),
  endpoint({
    method: 'post',
    path: `${TEAMS}/{id}/disband`,
    summary: 'Disband a team: its manager no longer answers for its members (admin)',
    access: teamWrite,
    body: reasonBody,
    success: 200,
    response: teamResult,
    ifMatch: true,
    handle: (call) => onTeam(call, (caller) => disbandTeam(call.deps, caller, call.params.id!, call.body.reason)),
  }),
  endpoint({
    method: 'get',
    path: `${TEAMS}/{id}/history`,
    summary: 'Audit trail of the team, from its stream',
    access: teamRead,
    success: 200,
    response: historyBody,
    handle: (call) => sendHistory(call.res, call.deps.store, { aggregate: teamAggregate, aggregateId: call.params.id!, label: 'Team' }),
  }),
  endpoint({
    method: 'post',
    path: KEYS,
    summary: 'Create an API key (admin); the secret is in this answer only',
    access: ['apiKey', 'write'],
    body: createApiKeyBody,
    success: 201,
    response: apiKeyResult,
    handle: async (call) => {
      const { keyId, key, secretHash } = newApiKey(call.access.tenantId);
      const input = { keyId, name: call.body.name, roles: call.body.roles, secretHash, ...(call.body.expires_at ? { expiresAt: new Date(call.body.expires_at).toISOString() } : {}) };
      await commandReply(call, {
        aggregate: apiKeyAggregate,
        aggregateId: keyId,
        status: 201,
        location: `${KEYS}/${keyId}`,
        run: (caller) => issueApiKey(call.deps, caller, input),
        // The only time the secret is shown: an Idempotency-Key replay answers with key null.
        render: (result) => ({ ...renderApiKey(result), key }),
        secretFields: ['key'],
      });
    },
  }),
  endpoint({
    method: 'post',
    path: `${KEYS}/{id}/revoke`,
    summary: 'Revoke an API key: refused on every instance from then on (admin)',
    access: ['apiKey', 'write'],
    body: reasonBody,
    success: 200,
    response: apiKeyResult,
    ifMatch: true,
    handle: (call) =>
      commandReply(call, {
        aggregate: apiKeyAggregate,
        aggregateId: call.params.id!,
        status: 200,
        run: (caller) => revokeApiKey(call.deps, caller, call.params.id!, call.body.reason),
        render: renderApiKey,
      }),
  }),
  endpoint({
    method: 'get',
    path: KEYS,
    summary: "The tenant's API keys with their last use (admin); never the secrets",
    access: ['apiKey', 'read'],
    query: listApiKeysQuery,
    success: 200,
    response: apiKeyPage,
    handle: async (call) => {
      await readYourWrites(call, apiKeysProjection.name);
      const { rows, total } = await listApiKeys(call.deps.db, call.access.tenantId, { includeRevoked: call.query.include_revoked }, call.query);
      return { body: paged(rows.map(apiKeyDto), total, call.query) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${KEYS}/{id}`,
    summary: 'One API key (admin)',
    access: ['apiKey', 'read'],
    success: 200,
    response: apiKeyBody,
    handle: async (call) => {
      await readYourWrites(call, apiKeysProjection.name);
      const row = await getApiKey(call.deps.db, call.access.tenantId, call.params.id!);
      if (!row) throw notFound(`API key ${call.params.id} not found`, { id: call.params.id });
      return { headers: { ETag: etagOf(row.revision) }, body: apiKeyDto(row) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${KEYS}/{id}/history`,
    summary: 'Audit trail of the key, from its stream (admin)',
    access: ['apiKey', 'read'],
    success: 200,
    response: historyBody,
    handle: (call) => sendHistory(call.res, call.deps.store, { aggregate: apiKeyAggregate, aggregateId: call.params.id!, label: 'API key' }),
  }),
];
