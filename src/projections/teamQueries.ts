import type { Knex } from 'knex';
import { TEAM_MEMBERS_TABLE, TEAMS_TABLE } from './teams.js';

/** Reads of the team directory; always scoped to one tenant. */
export interface TeamRow {
  tenant_id: string;
  team_id: string;
  name: string;
  manager_id: string | null;
  active: boolean;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface TeamWithMembers extends TeamRow {
  member_ids: string[];
}

/** The users a manager answers for: the members of the active teams it manages. */
export async function managedUsers(db: Knex, tenantId: string, managerId: string): Promise<string[]> {
  const rows: { user_id: string }[] = await db(`${TEAM_MEMBERS_TABLE} as m`)
    .join(`${TEAMS_TABLE} as t`, function () {
      this.on('t.tenant_id', 'm.tenant_id').andOn('t.team_id', 'm.team_id');
    })
    .where({ 't.tenant_id': tenantId, 't.manager_id': managerId, 't.active': true })
    .distinct('m.user_id')
    .orderBy('m.user_id');
  return rows.map((r) => r.user_id);
}

async function withMembers(db: Knex, tenantId: string, teams: TeamRow[]): Promise<TeamWithMembers[]> {
  if (teams.length === 0) return [];
  const members: { team_id: string; user_id: string }[] = await db(TEAM_MEMBERS_TABLE)
    .where('tenant_id', tenantId)
    .whereIn(
      'team_id',
      teams.map((t) => t.team_id),
    )
    .orderBy(['team_id', 'user_id'])
    .select('team_id', 'user_id');
  return teams.map((t) => ({ ...t, member_ids: members.filter((m) => m.team_id === t.team_id).map((m) => m.user_id) }));
}

export async function getTeam(db: Knex, tenantId: string, teamId: string): Promise<TeamWithMembers | undefined> {
  const row = await db<TeamRow>(TEAMS_TABLE).where({ tenant_id: tenantId, team_id: teamId }).first();
  return row ? (await withMembers(db, tenantId, [row]))[0] : undefined;
}

export interface TeamFilters {
  readonly managerId?: string;
  readonly memberId?: string;
  readonly active?: boolean;
}

export async function listTeams(
  db: Knex,
  tenantId: string,
  filters: TeamFilters,
  page: { limit: number; offset: number },
): Promise<{ rows: TeamWithMembers[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => {
    q.where('tenant_id', tenantId);
    if (filters.managerId) q.where('manager_id', filters.managerId);
    if (filters.active !== undefined) q.where('active', filters.active);
    if (filters.memberId) {
      q.whereIn('team_id', db(TEAM_MEMBERS_TABLE).where({ tenant_id: tenantId, user_id: filters.memberId }).select('team_id'));
    }
  };
  const [rows, count] = await Promise.all([
    db<TeamRow>(TEAMS_TABLE).modify(where).orderBy([{ column: 'name' }, { column: 'team_id' }]).limit(page.limit).offset(page.offset),
    db(TEAMS_TABLE).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows: await withMembers(db, tenantId, rows), total: Number(count[0]?.count ?? 0) };
}
