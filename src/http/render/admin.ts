import type { z } from 'zod';
import type { ApiKeyState } from '../../aggregates/apiKey/index.js';
import type { TeamState } from '../../aggregates/team/index.js';
import type { TerritoryState } from '../../aggregates/territory/index.js';
import type { CommandResult } from '../../commands/handler.js';
import type { ApiKeyRow } from '../../projections/apiKeyQueries.js';
import type { TeamWithMembers } from '../../projections/teamQueries.js';
import type { AssignmentRow, TerritoryRow } from '../../projections/territoryQueries.js';
import type { apiKeyBody, apiKeyResult, teamBody, teamResult, territoryBody, territoryResult } from '../responses/admin.js';
import type { Unwritten } from '../responses/common.js';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

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
    created_at: iso(t.created_at)!,
    updated_at: iso(t.updated_at)!,
  };
}

export function renderTeam(result: CommandResult<TeamState>): Unwritten<typeof teamResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return { id: s.teamId, name: s.name, manager_id: s.managerId, member_ids: [...s.memberIds], active: !s.disbanded };
}

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

export function renderApiKey(result: CommandResult<ApiKeyState>): Unwritten<typeof apiKeyResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return { id: s.keyId, name: s.name, roles: [...s.roles], actor: `apikey:${s.keyId}`, expires_at: s.expiresAt, revoked: s.revoked };
}

export function territoryDto(t: TerritoryRow): z.input<typeof territoryBody> {
  return {
    id: t.territory_id,
    name: t.name,
    owner_id: t.owner_id,
    region: t.region,
    rule: t.rule,
    is_active: t.active,
    revision: t.revision,
    created_by: t.created_by,
    updated_by: t.updated_by,
    created_at: iso(t.created_at)!,
    updated_at: iso(t.updated_at)!,
  };
}

export function renderTerritory(result: CommandResult<TerritoryState>): Unwritten<typeof territoryResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return { id: s.territoryId, name: s.name, owner_id: s.ownerId, region: s.region, rule: s.rule, is_active: s.active };
}

export const assignmentDto = (a: AssignmentRow) => ({ ...a, assigned_at: iso(a.assigned_at)! });
