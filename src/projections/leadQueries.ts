import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { type OwnerScope, scopeFor } from '../access/policy.js';
import { LEADS_TABLE } from './leads.js';
import { whereOwnerIn } from './ownerScope.js';

/** Reads of the leads read model; always scoped to one tenant. */
export interface LeadRow {
  tenant_id: string;
  lead_id: string;
  status: string;
  source: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  personal_data_erased_at: Date | null;
  company: string | null;
  title: string | null;
  industry: string | null;
  employee_count: number | null;
  annual_revenue: string | null;
  currency: string | null;
  score: number;
  score_breakdown: Record<string, number>;
  score_basis: Record<string, string>;
  rubric_version: number | null;
  scored_at: Date | null;
  marketing_score: number | null;
  campaign_id: string | null;
  attribution: { firstTouch: string | null; lastTouch: string | null; touches: string[] } | null;
  metadata: Record<string, unknown>;
  owner_id: string;
  territory_id: string | null;
  assignment_reason: string | null;
  assigned_at: Date;
  qualified_at: Date | null;
  disqualified_reason: string | null;
  opportunity_id: string | null;
  customer_id: string | null;
  converted_at: Date | null;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface LeadFilters {
  /** Whose leads the caller may see (the access policy's scope). */
  readonly owners: OwnerScope;
  readonly status?: string;
  readonly ownerId?: string;
  readonly territoryId?: string;
  readonly source?: string;
  readonly minScore?: number;
}

export async function getLead(db: Knex, tenantId: string, id: string): Promise<LeadRow | undefined> {
  return db<LeadRow>(LEADS_TABLE).where({ tenant_id: tenantId, lead_id: id }).first();
}

export async function listLeads(
  db: Knex,
  tenantId: string,
  filters: LeadFilters,
  page: { limit: number; offset: number },
): Promise<{ rows: LeadRow[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => {
    q.where('tenant_id', tenantId);
    whereOwnerIn(q, filters.owners);
    if (filters.status) q.where('status', filters.status);
    if (filters.ownerId) q.where('owner_id', filters.ownerId);
    if (filters.territoryId) q.where('territory_id', filters.territoryId);
    if (filters.source) q.where('source', filters.source);
    if (filters.minScore !== undefined) q.where('score', '>=', filters.minScore);
  };
  const [rows, count] = await Promise.all([
    db<LeadRow>(LEADS_TABLE)
      .modify(where)
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'lead_id' }])
      .limit(page.limit)
      .offset(page.offset),
    db(LEADS_TABLE).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count[0]?.count ?? 0) };
}

/** The leads the caller may see, filtered (an owner outside its reach is FORBIDDEN). */
export const leadsFor = (db: Knex, access: Access, filters: Omit<LeadFilters, 'owners'>, page: { limit: number; offset: number }) =>
  listLeads(db, access.tenantId, { ...filters, owners: scopeFor(access, 'lead', filters.ownerId) }, page);
