import type { CommercialTerms, OnboardingContact } from '../aggregates/opportunity/commercialTerms.js';
import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { type OwnerScope, requireOwnerInScope, scopeFor } from '../access/policy.js';
import { type StageSet, findStage, normaliseStageCode } from '../aggregates/pipelineStage/stages.js';
import { CUSTOMER_FAMILY_SQL } from './customerFamily.js';
import { OPPORTUNITIES_TABLE } from './opportunities.js';
import { whereOwnerIn } from './ownerScope.js';

/** Reads of the opportunities read model; always scoped to one tenant. */
export interface OpportunityRow {
  tenant_id: string;
  opportunity_id: string;
  name: string | null;
  customer_id: string | null;
  lead_id: string | null;
  territory_id: string | null;
  owner_id: string | null;
  stage: string;
  status: string;
  probability: number;
  amount: string;
  currency: string;
  expected_close_date: string | null;
  close_date: string | null;
  lost_reason: string | null;
  next_step: string | null;
  quote_id: string | null;
  quote_amount: string | null;
  quote_currency: string | null;
  quote_valid_until: string | null;
  deal_score: number;
  products: unknown;
  /** As the projection stores it: the terms with their contacts (commercialTerms.ts). */
  commercial_terms: (CommercialTerms & { contacts: OnboardingContact[] }) | null;
  metadata: unknown;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface OpportunityFilters {
  /** Whose deals the caller may see (the access policy's scope). */
  readonly owners: OwnerScope;
  readonly stage?: string;
  readonly ownerId?: string;
  readonly customerId?: string;
  readonly territoryId?: string;
  readonly leadId?: string;
  readonly status?: string;
  readonly minDealScore?: number;
  readonly maxDealScore?: number;
  readonly expectedCloseFrom?: string;
  readonly expectedCloseTo?: string;
  /** A column, `-` first for descending; default -created_at (newest first). */
  readonly sort?: OpportunitySort;
}

export const OPPORTUNITY_SORTS = ['created_at', 'deal_score', 'amount', 'expected_close_date', 'updated_at'] as const;
export type OpportunitySort = (typeof OPPORTUNITY_SORTS)[number] | `-${(typeof OPPORTUNITY_SORTS)[number]}`;

export async function getOpportunity(db: Knex, tenantId: string, id: string): Promise<OpportunityRow | undefined> {
  const row = await db<OpportunityRow>(OPPORTUNITIES_TABLE).where({ tenant_id: tenantId, opportunity_id: id }).first();
  return row;
}

export async function listOpportunities(
  db: Knex,
  tenantId: string,
  filters: OpportunityFilters,
  page: { limit: number; offset: number },
): Promise<{ rows: OpportunityRow[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => {
    q.where('tenant_id', tenantId);
    whereOwnerIn(q, filters.owners);
    if (filters.stage) q.where('stage', filters.stage);
    if (filters.ownerId) q.where('owner_id', filters.ownerId);
    // A customer's deals include those of the profiles merged into it (Customer 360 merges).
    if (filters.customerId) q.whereRaw(`customer_id in (${CUSTOMER_FAMILY_SQL})`, [filters.customerId, tenantId]);
    if (filters.territoryId) q.where('territory_id', filters.territoryId);
    if (filters.leadId) q.where('lead_id', filters.leadId);
    if (filters.status) q.where('status', filters.status);
    if (filters.minDealScore !== undefined) q.where('deal_score', '>=', filters.minDealScore);
    if (filters.maxDealScore !== undefined) q.where('deal_score', '<=', filters.maxDealScore);
    if (filters.expectedCloseFrom) q.where('expected_close_date', '>=', filters.expectedCloseFrom);
    if (filters.expectedCloseTo) q.where('expected_close_date', '<=', filters.expectedCloseTo);
  };
  const sort = filters.sort ?? '-created_at';
  const column = sort.replace(/^-/, '');
  const [rows, count] = await Promise.all([
    db<OpportunityRow>(OPPORTUNITIES_TABLE)
      .modify(where)
      .orderBy([{ column, order: sort.startsWith('-') ? 'desc' : 'asc', nulls: 'last' }, { column: 'opportunity_id' }])
      .limit(page.limit)
      .offset(page.offset),
    db(OPPORTUNITIES_TABLE).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count[0]?.count ?? 0) };
}

/** One opportunity, if the caller may see it: undefined when absent, FORBIDDEN outside its reach. */
export async function opportunityFor(db: Knex, access: Access, id: string): Promise<OpportunityRow | undefined> {
  const row = await getOpportunity(db, access.tenantId, id);
  if (row) requireOwnerInScope(access, 'opportunity', 'read', row.owner_id);
  return row;
}

export type OpportunitySearch = Omit<OpportunityFilters, 'owners'>;

/**
 * The opportunities the caller may see, filtered; a stage is read the way commands read it (any
 * case, the tenant's aliases), and an owner outside the caller's reach is FORBIDDEN.
 */
export async function opportunitiesFor(
  app: { db: Knex; stageSetFor: (tenantId: string) => Promise<StageSet> },
  access: Access,
  filters: OpportunitySearch,
  page: { limit: number; offset: number },
): Promise<{ rows: OpportunityRow[]; total: number }> {
  const owners = scopeFor(access, 'opportunity', filters.ownerId);
  const stage = filters.stage ? (findStage(await app.stageSetFor(access.tenantId), filters.stage)?.code ?? normaliseStageCode(filters.stage)) : undefined;
  return listOpportunities(app.db, access.tenantId, { ...filters, owners, ...(stage ? { stage } : {}) }, page);
}
