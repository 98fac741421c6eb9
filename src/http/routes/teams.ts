import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { type TeamState, teamAggregate } from '../../aggregates/team/index.js';
import type { CommandResult } from '../../commands/handler.js';
import { readModelAsOf } from '../../compliance/asOf.js';
import { streamName, tenantStreamPrefix } from '../../eventstore/streams.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { type TeamWithMembers, getTeam, listTeams, managedUsers } from '../../projections/teamQueries.js';
import { teamsProjection } from '../../projections/teams.js';
import { notFound } from '../../shared/errors.js';
import { accessOf, can } from '../auth.js';
import { type CommandRouteDeps, etagOf, runCommand } from '../commandReply.js';
import { awaitReadModel } from '../consistency.js';
import { sendHistory } from '../history.js';
import { asOfQuery, id, pagination, text, minPosition, userId } from '../fields.js';
import type { ApiRoute } from '../openapi.js';
import { type Unwritten, historyBody } from '../responses/common.js';
import { meBody, teamBody, teamPage, teamResult } from '../responses/admin.js';

/**
 * The team directory (issue: managers see their teams' deals): admins create teams, name a
 * manager, add and remove members; everyone in the tenant may read it. Every change is an
 * event with its actor, so `as_of` answers who was in which team at any moment.
 */
export interface TeamRouteDeps extends CommandRouteDeps {
  readonly runner: ProjectionRunner;
  readonly maxConsistencyWaitMs: number;
}

export const createTeamBody = z.strictObject({
  id: id.optional(),
  name: text(200),
  manager_id: userId.optional(),
  member_ids: z.array(userId).max(500).optional(),
});

export const updateTeamBody = z
  .strictObject({ name: text(200).optional(), manager_id: userId.nullable().optional() })
  .refine((b) => b.name !== undefined || b.manager_id !== undefined, { message: 'nothing to update: give name or manager_id' });

export const disbandBody = z.strictObject({ reason: text(500).optional() });

export const listTeamsQuery = pagination.extend({
  manager_id: userId.optional(),
  member_id: userId.optional(),
  active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  /** The whole directory as it stood then. */
  as_of: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant, e.g. 2026-02-02T11:10:00Z' }).optional(),
  min_position: minPosition,
});

const iso = (d: Date | string) => new Date(d).toISOString();

export function teamDto(t: TeamWithMembers): z.input<typeof teamBody> {
  return {
    id: t.team_id,
    name: t.name,
    manager_id: t.manager_id,
    member_ids: t.member_ids,
    active: t.active,
    revision: t.revision,
    created_by: t.created_by,
    updated_by: t.updated_by,
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
  };
}

function renderTeam(result: CommandResult<TeamState>): Unwritten<typeof teamResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return { id: s.teamId, name: s.name, manager_id: s.managerId, member_ids: [...s.memberIds], active: !s.disbanded };
}

export function teamRoutes(deps: TeamRouteDeps): Router {
  const r = Router();
  const command = (status: 200 | 201) => ({ aggregate: teamAggregate, status, render: renderTeam });

  r.post('/', can('team', 'write'), async (req, res) => {
    const b = createTeamBody.parse(req.body ?? {});
    const teamId = b.id ?? randomUUID();
    await runCommand(deps, req, res, {
      ...command(201),
      aggregateId: teamId,
      location: `${req.baseUrl}/${encodeURIComponent(teamId)}`,
      command: {
        type: 'CreateTeam',
        teamId,
        name: b.name,
        ...(b.manager_id ? { managerId: b.manager_id } : {}),
        ...(b.member_ids ? { memberIds: b.member_ids } : {}),
      },
    });
  });

  r.patch('/:id', can('team', 'write'), async (req, res) => {
    const b = updateTeamBody.parse(req.body ?? {});
    await runCommand(deps, req, res, {
      ...command(200),
      aggregateId: id.parse(req.params.id),
      command: { type: 'UpdateTeam', ...(b.name !== undefined ? { name: b.name } : {}), ...(b.manager_id !== undefined ? { managerId: b.manager_id } : {}) },
    });
  });

  r.put('/:id/members/:userId', can('team', 'write'), async (req, res) => {
    const teamId = id.parse(req.params.id);
    await runCommand(deps, req, res, { ...command(200), aggregateId: teamId, command: { type: 'AddTeamMember', userId: userId.parse(req.params.userId) } });
  });

  r.delete('/:id/members/:userId', can('team', 'write'), async (req, res) => {
    const teamId = id.parse(req.params.id);
    await runCommand(deps, req, res, { ...command(200), aggregateId: teamId, command: { type: 'RemoveTeamMember', userId: userId.parse(req.params.userId) } });
  });

  r.post('/:id/disband', can('team', 'write'), async (req, res) => {
    const b = disbandBody.parse(req.body ?? {});
    const teamId = id.parse(req.params.id);
    await runCommand(deps, req, res, { ...command(200), aggregateId: teamId, command: { type: 'DisbandTeam', ...(b.reason ? { reason: b.reason } : {}) } });
  });

  r.get('/', can('team', 'read'), async (req, res) => {
    const q = listTeamsQuery.parse(req.query);
    const { tenantId } = accessOf(res);
    const filters = {
      ...(q.manager_id ? { managerId: q.manager_id } : {}),
      ...(q.member_id ? { memberId: q.member_id } : {}),
      ...(q.active !== undefined ? { active: q.active } : {}),
    };
    const page = { limit: q.limit, offset: q.offset };
    const { rows, total } = q.as_of
      ? await readModelAsOf(deps, teamsProjection, { filter: { streamPrefixes: [tenantStreamPrefix(teamAggregate.category, tenantId)] } }, { at: new Date(q.as_of) }, (trx) =>
          listTeams(trx, tenantId, filters, page),
        )
      : (await awaitReadModel(req, res, deps.runner, teamsProjection.name, deps.maxConsistencyWaitMs), await listTeams(deps.db, tenantId, filters, page));
    res.json({
      ...(q.as_of ? { as_of: new Date(q.as_of).toISOString() } : {}),
      data: rows.map(teamDto),
      pagination: { total, limit: q.limit, offset: q.offset, has_more: q.offset + rows.length < total },
    });
  });

  r.get('/:id', can('team', 'read'), async (req, res) => {
    const teamId = id.parse(req.params.id);
    const { tenantId } = accessOf(res);
    const moment = asOfQuery.parse(req.query);
    let team: TeamWithMembers | undefined;
    if (moment) {
      const streamId = streamName({ category: teamAggregate.category, tenantId, aggregateId: teamId });
      team = await readModelAsOf(deps, teamsProjection, { streamId }, moment, (trx) => getTeam(trx, tenantId, teamId));
    } else {
      await awaitReadModel(req, res, deps.runner, teamsProjection.name, deps.maxConsistencyWaitMs);
      team = await getTeam(deps.db, tenantId, teamId);
    }
    if (!team) throw notFound(`Team ${teamId} not found${moment ? ' at that moment' : ''}`, { id: teamId });
    res.setHeader('ETag', etagOf(team.revision));
    res.json(teamDto(team));
  });

  r.get('/:id/history', can('team', 'read'), async (req, res) => {
    await sendHistory(res, deps.store, { aggregate: teamAggregate, aggregateId: id.parse(req.params.id), label: 'Team' });
  });

  return r;
}

/** GET /api/v1/me: who the credentials say the caller is, and whom the policy lets it manage. */
export function meRoutes(deps: TeamRouteDeps): Router {
  const r = Router();
  r.get('/', async (_req, res) => {
    const access = accessOf(res);
    const memberOf = await listTeams(deps.db, access.tenantId, { memberId: access.actorId, active: true }, { limit: 200, offset: 0 });
    const manages = await listTeams(deps.db, access.tenantId, { managerId: access.actorId, active: true }, { limit: 200, offset: 0 });
    res.json({
      tenant_id: access.tenantId,
      user_id: access.actorId,
      roles: access.roles,
      api_key_id: access.apiKeyId ?? null,
      member_of_teams: memberOf.rows.map((t) => t.team_id),
      manages_teams: manages.rows.map((t) => t.team_id),
      managed_users: access.roles.includes('sales_manager') ? await managedUsers(deps.db, access.tenantId, access.actorId) : [],
    });
  });
  return r;
}

export const teamApi: readonly ApiRoute[] = [
  { method: 'get', path: '/api/v1/me', summary: 'The caller: tenant, user, known roles, teams it is in and manages', success: 200, response: meBody },
  { method: 'post', path: '/api/v1/teams', summary: 'Create a team with its manager and members (admin)', body: createTeamBody, success: 201, response: teamResult, access: ['team', 'write'] },
  { method: 'get', path: '/api/v1/teams', summary: 'The team directory; as_of: as it stood then', query: listTeamsQuery, success: 200, response: teamPage, access: ['team', 'read'] },
  { method: 'get', path: '/api/v1/teams/{id}', summary: 'One team with its members; as_of / as_of_revision: as it stood then', query: asOfQuery, success: 200, response: teamBody, access: ['team', 'read'] },
  { method: 'patch', path: '/api/v1/teams/{id}', summary: 'Rename a team or change its manager (admin)', body: updateTeamBody, success: 200, response: teamResult, access: ['team', 'write'], ifMatch: true },
  { method: 'put', path: '/api/v1/teams/{id}/members/{userId}', summary: 'Add a member (admin)', success: 200, response: teamResult, access: ['team', 'write'], ifMatch: true },
  { method: 'delete', path: '/api/v1/teams/{id}/members/{userId}', summary: 'Remove a member (admin)', success: 200, response: teamResult, access: ['team', 'write'], ifMatch: true },
  { method: 'post', path: '/api/v1/teams/{id}/disband', summary: 'Disband a team: its manager no longer answers for its members (admin)', body: disbandBody, success: 200, response: teamResult, access: ['team', 'write'], ifMatch: true },
  { method: 'get', path: '/api/v1/teams/{id}/history', summary: 'Audit trail of the team, from its stream', success: 200, response: historyBody, access: ['team', 'read'] },
];
