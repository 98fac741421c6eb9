import type { Knex } from 'knex';
import type { CustomerStatus } from '../aggregates/customerProfile/events.js';
import type { CustomerFacts, OpenDealFacts } from '../aggregates/segmentation/index.js';
import type { Amount } from '../shared/money.js';
import { SEGMENT_ACTIVITY_FACTS, SEGMENT_CUSTOMER_FACTS, SEGMENT_DEAL_FACTS } from './segmentFacts.js';

/** A live (not merged-away) customer's facts and the segments its profile holds now. */
export interface CustomerFactsRow {
  readonly customerId: string;
  readonly segments: readonly string[];
  readonly facts: CustomerFacts;
}

interface Row {
  customer_id: string;
  status: CustomerStatus;
  industry: string | null;
  employee_count: number | null;
  annual_revenue: string | null;
  since: Date;
  segments: string[];
  last_activity_at: Date | null;
}

/**
 * The facts of a tenant's live customers (all, or those named), in customer id order. The last
 * activity is the latest completion of an activity on the customer or on one of its deals.
 */
export async function customerFactsOf(db: Knex, tenantId: string, customerIds?: readonly string[]): Promise<CustomerFactsRow[]> {
  const only = (q: Knex.QueryBuilder, column: string) => (customerIds ? q.whereIn(column, [...customerIds]) : q);
  const rows = (await db(`${SEGMENT_CUSTOMER_FACTS} as c`)
    .select('c.customer_id', 'c.status', 'c.industry', 'c.employee_count', 'c.annual_revenue', 'c.since', 'c.segments')
    .select(
      db.raw(
        `(select max(a.completed_at) from ${SEGMENT_ACTIVITY_FACTS} a
           where a.tenant_id = c.tenant_id and (a.customer_id = c.customer_id or a.opportunity_id in
             (select d.opportunity_id from ${SEGMENT_DEAL_FACTS} d where d.tenant_id = c.tenant_id and d.customer_id = c.customer_id))
         ) as last_activity_at`,
      ),
    )
    .where('c.tenant_id', tenantId)
    .whereNull('c.merged_into')
    .modify(only, 'c.customer_id')
    .orderBy('c.customer_id')) as Row[];
  const deals = (await db(SEGMENT_DEAL_FACTS)
    .select('customer_id', 'expected_close_date', 'pushed')
    .where({ tenant_id: tenantId, open: true })
    .modify(only, 'customer_id')) as { customer_id: string; expected_close_date: string | null; pushed: boolean }[];
  const open = new Map<string, OpenDealFacts[]>();
  for (const d of deals) open.set(d.customer_id, [...(open.get(d.customer_id) ?? []), { expectedCloseDate: d.expected_close_date, pushed: d.pushed }]);
  return rows.map((r) => ({
    customerId: r.customer_id,
    segments: r.segments,
    facts: {
      status: r.status,
      industry: r.industry,
      employeeCount: r.employee_count,
      annualRevenue: r.annual_revenue as Amount | null,
      since: r.since.toISOString(),
      lastActivityAt: r.last_activity_at?.toISOString() ?? null,
      openDeals: open.get(r.customer_id) ?? [],
    },
  }));
}

/** The customers a deal or an activity is about (through its deal for an activity on one). */
export async function customersOfRecord(db: Knex, tenantId: string, record: { opportunityId?: string; activityId?: string }): Promise<string[]> {
  if (record.opportunityId) {
    return (await db(SEGMENT_DEAL_FACTS).where({ tenant_id: tenantId, opportunity_id: record.opportunityId }).pluck('customer_id')) as string[];
  }
  const rows = (await db(`${SEGMENT_ACTIVITY_FACTS} as a`)
    .leftJoin(`${SEGMENT_DEAL_FACTS} as d`, function () {
      this.on('d.tenant_id', 'a.tenant_id').andOn('d.opportunity_id', 'a.opportunity_id');
    })
    .where({ 'a.tenant_id': tenantId, 'a.activity_id': record.activityId })
    .select(db.raw('coalesce(a.customer_id, d.customer_id) as customer_id'))) as { customer_id: string | null }[];
  return rows.flatMap((r) => (r.customer_id ? [r.customer_id] : []));
}

/** Tenants that have customers: the periodic re-evaluation visits each. */
export async function tenantsWithCustomers(db: Knex): Promise<string[]> {
  return (await db(SEGMENT_CUSTOMER_FACTS).distinct('tenant_id').orderBy('tenant_id').pluck('tenant_id')) as string[];
}
