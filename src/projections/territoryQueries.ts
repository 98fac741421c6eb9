import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { ownerScope } from '../access/policy.js';
import { LEADS_TABLE, leadsProjection } from './leads.js';
import { OPPORTUNITIES_TABLE, opportunitiesProjection } from './opportunities.js';
import { TERRITORIES_TABLE, TERRITORY_ASSIGNMENTS_TABLE } from './territories.js';

export interface TerritoryRow {
  tenant_id: string;
  territory_id: string;
  name: string;
  owner_id: string | null;
  region: string | null;
  rule: string | null;
  active: boolean;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface AssignmentRow {
  event_id: string;
  territory_id: string;
  record_type: 'lead' | 'opportunity';
  record_id: string;
  from_territory_id: string | null;
  reason: string | null;
  assigned_by: string;
  assigned_at: Date;
}

export const getTerritory = (db: Knex, tenantId: string, id: string): Promise<TerritoryRow | undefined> =>
  db<TerritoryRow>(TERRITORIES_TABLE).where({ tenant_id: tenantId, territory_id: id }).first();

/** Territories by id, for a page of records that name them (GraphQL's batched loading). */
export const territoriesByIds = (db: Knex, tenantId: string, ids: readonly string[]): Promise<TerritoryRow[]> =>
  ids.length ? db<TerritoryRow>(TERRITORIES_TABLE).where('tenant_id', tenantId).whereIn('territory_id', [...ids]) : Promise.resolve([]);

export async function listTerritories(
  db: Knex,
  tenantId: string,
  filters: { ownerId?: string; active?: boolean },
  page: { limit: number; offset: number },
): Promise<{ rows: TerritoryRow[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => {
    q.where('tenant_id', tenantId);
    if (filters.ownerId) q.where('owner_id', filters.ownerId);
    if (filters.active !== undefined) q.where('active', filters.active);
  };
  const [rows, count] = await Promise.all([
    db<TerritoryRow>(TERRITORIES_TABLE).modify(where).orderBy([{ column: 'name' }, { column: 'territory_id' }]).limit(page.limit).offset(page.offset),
    db(TERRITORIES_TABLE).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count[0]?.count ?? 0) };
}

/** The read models whose rows decide which assignments a caller sees (their records' owners): read-your-writes waits for them too. */
export const ASSIGNMENT_SCOPE_READ_MODELS: readonly string[] = [leadsProjection.name, opportunitiesProjection.name];

/**
 * Assignments to and from a territory, newest first, of the leads and deals the caller may see
 * (their owners now, as the policy reaches them).
 */
export async function assignmentsFor(db: Knex, access: Access, territoryId: string, page: { limit: number; offset: number }) {
  const leads = ownerScope(access, 'lead');
  const deals = ownerScope(access, 'opportunity');
  const visible = (q: Knex.QueryBuilder) => {
    q.where('a.tenant_id', access.tenantId).where((w) => w.where('a.territory_id', territoryId).orWhere('a.from_territory_id', territoryId));
    q.where((w) => {
      w.where((l) => {
        l.where('a.record_type', 'lead');
        if (leads !== 'all') l.whereIn('l.owner_id', [...leads]);
      }).orWhere((o) => {
        o.where('a.record_type', 'opportunity');
        if (deals !== 'all') o.whereIn('o.owner_id', [...deals]);
      });
    });
  };
  const base = () =>
    db(`${TERRITORY_ASSIGNMENTS_TABLE} as a`)
      .leftJoin(`${LEADS_TABLE} as l`, function () {
        this.on('l.tenant_id', 'a.tenant_id').andOn('l.lead_id', 'a.record_id').andOnVal('a.record_type', 'lead');
      })
      .leftJoin(`${OPPORTUNITIES_TABLE} as o`, function () {
        this.on('o.tenant_id', 'a.tenant_id').andOn('o.opportunity_id', 'a.record_id').andOnVal('a.record_type', 'opportunity');
      })
      .modify(visible);
  const [rows, count] = await Promise.all([
    base().select('a.*').orderBy([{ column: 'a.assigned_at', order: 'desc' }, { column: 'a.event_id' }]).limit(page.limit).offset(page.offset),
    base().count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows: rows as AssignmentRow[], total: Number(count[0]?.count ?? 0) };
}
