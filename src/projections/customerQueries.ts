import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { ownerScope } from '../access/policy.js';
import { type ActivityRow, type TaskRow, activitiesFor, tasksFor } from './activityQueries.js';
import { type OpportunityRow, listOpportunities } from './opportunityQueries.js';
import { CUSTOMER_FAMILY_SQL } from './customerFamily.js';
import { CUSTOMERS_TABLE, CUSTOMER_CONSENTS_TABLE, CUSTOMER_MERGES_TABLE } from './customers.js';

/** Reads of the Customer 360 read models; always scoped to one tenant. */
export interface CustomerRow {
  tenant_id: string;
  customer_id: string;
  name: string;
  status: string;
  segment: string;
  segments: string[];
  industry: string | null;
  employee_count: number | null;
  annual_revenue: string | null;
  primary_contact_id: string | null;
  personal_data: Record<string, unknown> | null;
  personal_data_erased_at: Date | null;
  merged_into: string | null;
  merge_reason: string | null;
  merged_at: Date | null;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface ConsentRow {
  consent_type: string;
  status: string;
  source: string | null;
  updated_by: string;
  updated_at: Date;
}

export interface MergeRow {
  source_customer_id: string;
  target_customer_id: string;
  merge_reason: string;
  merged_by: string;
  merged_at: Date;
}

export async function getCustomer(db: Knex, tenantId: string, customerId: string): Promise<CustomerRow | undefined> {
  return db<CustomerRow>(CUSTOMERS_TABLE).where({ tenant_id: tenantId, customer_id: customerId }).first();
}

/** Customers by id, for a page of records that name them (GraphQL's batched loading). */
export const customersByIds = (db: Knex, tenantId: string, ids: readonly string[]): Promise<CustomerRow[]> =>
  ids.length ? db<CustomerRow>(CUSTOMERS_TABLE).where('tenant_id', tenantId).whereIn('customer_id', [...ids]) : Promise.resolve([]);

export interface CustomerFilters {
  readonly status?: string;
  /** Members of this evaluated segment. */
  readonly segment?: string;
  /** The assigned label (seed 001's single `segment`). */
  readonly assignedSegment?: string;
  /** Merged-away profiles are hidden from lists unless asked for: their golden record stands for them. */
  readonly includeMerged?: boolean;
  /** Case-insensitive part of the company name. */
  readonly name?: string;
}

export async function listCustomers(
  db: Knex,
  tenantId: string,
  filters: CustomerFilters,
  page: { limit: number; offset: number },
): Promise<{ rows: CustomerRow[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => {
    q.where('tenant_id', tenantId);
    if (filters.status) q.where('status', filters.status);
    if (filters.segment) q.whereRaw('segments @> array[?]::text[]', [filters.segment]);
    if (filters.assignedSegment) q.where('segment', filters.assignedSegment);
    if (!filters.includeMerged) q.whereNull('merged_into');
    if (filters.name) q.whereILike('name', `%${filters.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  };
  const [rows, count] = await Promise.all([
    db<CustomerRow>(CUSTOMERS_TABLE)
      .modify(where)
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'customer_id' }])
      .limit(page.limit)
      .offset(page.offset),
    db(CUSTOMERS_TABLE).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count[0]?.count ?? 0) };
}

export async function consentsOf(db: Knex, tenantId: string, customerId: string): Promise<ConsentRow[]> {
  const rows: ConsentRow[] = await db(CUSTOMER_CONSENTS_TABLE)
    .select('consent_type', 'status', 'source', 'updated_by', 'updated_at')
    .where({ tenant_id: tenantId, customer_id: customerId })
    .orderBy('consent_type');
  return rows;
}

/** The profiles merged directly into `customerId`, oldest first. */
export async function mergedInto(db: Knex, tenantId: string, customerId: string): Promise<MergeRow[]> {
  const rows: MergeRow[] = await db(CUSTOMER_MERGES_TABLE)
    .select('source_customer_id', 'target_customer_id', 'merge_reason', 'merged_by', 'merged_at')
    .where({ tenant_id: tenantId, target_customer_id: customerId })
    .orderBy([{ column: 'merged_at' }, { column: 'source_customer_id' }]);
  return rows;
}

/** How many of the latest activities the 360 view embeds; GET /activities?customer_id= has them all. */
export const RECENT_ACTIVITIES = 10;

/**
 * The Customer 360 view: profile, consents, the profiles merged into it, and, with those of the
 * profiles merged in, what the caller may see of its open deals, its latest activities and its
 * open tasks (work about the customer, its deals or the lead it came from): the account is
 * shared, its pipeline and work are not. A merged-away profile's show under its golden record.
 * Beside them, what the consumed events of other contexts wrote (enrichmentOf).
 */
export async function customer360For(db: Knex, access: Access, customerId: string, now: Date) {
  const { tenantId } = access;
  const row = await getCustomer(db, tenantId, customerId);
  if (!row) return undefined;
  const first = (limit: number) => ({ limit, offset: 0 });
  const none = <R>(): Promise<{ rows: R[]; total: number }> => Promise.resolve({ rows: [], total: 0 });
  const [consents, merges, open, activities, tasks, enrichment] = await Promise.all([
    consentsOf(db, tenantId, customerId),
    mergedInto(db, tenantId, customerId),
    row.merged_into ? none<OpportunityRow>() : listOpportunities(db, tenantId, { owners: ownerScope(access, 'opportunity'), customerId, status: 'open' }, first(100)),
    row.merged_into ? none<ActivityRow>() : activitiesFor(db, access, { customerId, now }, first(RECENT_ACTIVITIES)),
    row.merged_into ? none<TaskRow>() : tasksFor(db, access, { customerId, status: 'open', now }, first(CUSTOMER_360_LIST_LIMIT)),
    enrichmentOf(db, tenantId, customerId),
  ]);
  return { row, consents, merges, open, activities, tasks, enrichment };
}

/**
 * What other contexts told us about a customer, kept by the Kafka bridge's inbound handlers
 * (src/bridges/kafka/inboundHandlers.ts) in its enrichment tables, keyed by tenant and customer
 * id whether or not we hold the profile yet: a consumed event about an unknown customer shows
 * as soon as the profile exists. Service orders and contracts of profiles merged into this one
 * show under it, as their deals do.
 */
export interface ServiceOrderRow {
  customer_id: string;
  service_order_id: string;
  description: string;
  created_at: Date;
  event_id: string;
}

export interface EntitlementRow {
  customer_id: string;
  contract_id: string;
  product_id: string;
  entitlement: string;
  start_date: string;
  end_date: string | null;
  activated_at: Date;
  active: boolean;
}

export interface AccountRow {
  name: string | null;
  status: string | null;
  segment: string | null;
  primary_contact_id: string | null;
  changed_fields: string[];
  updated_by: string;
  updated_at: Date;
  event_id: string;
}

export interface CreditBlockRow {
  blocked: boolean;
  since: Date;
  credit_limit: string | null;
  exposure: string | null;
  currency: string | null;
}

/** How many service orders / entitlements the 360 view embeds; the rest via the timeline. */
export const CUSTOMER_360_LIST_LIMIT = 100;

const inFamily = (q: Knex.QueryBuilder, tenantId: string, customerId: string) =>
  q.where('tenant_id', tenantId).whereRaw(`customer_id in (${CUSTOMER_FAMILY_SQL})`, [customerId, tenantId]);

export async function enrichmentOf(db: Knex, tenantId: string, customerId: string) {
  const [serviceOrders, serviceCount, entitlements, entitlementCount, account, credit] = await Promise.all([
    db('customer_service_history')
      .select('customer_id', 'service_order_id', 'description', 'created_at', 'event_id')
      .modify(inFamily, tenantId, customerId)
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'service_order_id' }])
      .limit(CUSTOMER_360_LIST_LIMIT) as Promise<ServiceOrderRow[]>,
    db('customer_service_history').modify(inFamily, tenantId, customerId).count<{ count: string }[]>({ count: '*' }),
    db('customer_entitlements')
      .select(
        'customer_id',
        'contract_id',
        'product_id',
        'entitlement',
        'start_date',
        'end_date',
        'activated_at',
        db.raw('(end_date is null or end_date >= current_date) as active'),
      )
      .modify(inFamily, tenantId, customerId)
      .orderBy([{ column: 'activated_at', order: 'desc' }, { column: 'contract_id' }])
      .limit(CUSTOMER_360_LIST_LIMIT) as Promise<EntitlementRow[]>,
    db('customer_entitlements').modify(inFamily, tenantId, customerId).count<{ count: string }[]>({ count: '*' }),
    db('customer_accounts')
      .select('name', 'status', 'segment', 'primary_contact_id', 'changed_fields', 'updated_by', 'updated_at', 'event_id')
      .where({ tenant_id: tenantId, customer_id: customerId })
      .first() as Promise<AccountRow | undefined>,
    db('customer_credit_blocks')
      .select('blocked', 'since', 'credit_limit', 'exposure', 'currency')
      .where({ tenant_id: tenantId, customer_id: customerId })
      .first() as Promise<CreditBlockRow | undefined>,
  ]);
  return {
    serviceOrders,
    serviceOrderCount: Number(serviceCount[0]?.count ?? 0),
    entitlements,
    entitlementCount: Number(entitlementCount[0]?.count ?? 0),
    account: account ?? null,
    credit: credit ?? null,
  };
}
