import type { z } from 'zod';
import type { CustomerProfileState } from '../../aggregates/customerProfile/index.js';
import type { CommandResult } from '../../commands/handler.js';
import type { ConsentRow, CustomerRow, customer360For, enrichmentOf } from '../../projections/customerQueries.js';
import { snakeKeys } from '../../shared/case.js';
import type { Unwritten } from '../responses/common.js';
import type { TimelineEntry } from '../../projections/customerTimelineQueries.js';
import type { consentBody, customer360Body, customerBody, customerResult, timelineEntryBody } from '../responses/customers.js';
import { activityDto, taskDto } from './activities.js';
import { opportunityDto } from './opportunities.js';

const iso = (d: Date | string) => new Date(d).toISOString();

export function customerDto(row: CustomerRow): z.input<typeof customerBody> {
  return {
    id: row.customer_id,
    name: row.name,
    status: row.status,
    segment: row.segment,
    segments: row.segments,
    industry: row.industry,
    employee_count: row.employee_count,
    annual_revenue: row.annual_revenue,
    primary_contact_id: row.primary_contact_id,
    personal_data: row.personal_data ? snakeKeys(row.personal_data) : null,
    personal_data_erased_at: row.personal_data_erased_at ? new Date(row.personal_data_erased_at).toISOString() : null,
    merged_into: row.merged_into,
    merge_reason: row.merge_reason,
    merged_at: row.merged_at ? iso(row.merged_at) : null,
    revision: row.revision,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export const consentDto = (c: ConsentRow): z.input<typeof consentBody> => ({
  consent_type: c.consent_type,
  status: c.status,
  source: c.source,
  updated_by: c.updated_by,
  updated_at: iso(c.updated_at),
});

export function customer360Dto(v: NonNullable<Awaited<ReturnType<typeof customer360For>>>, now: Date): z.input<typeof customer360Body> {
  return {
    ...customerDto(v.row),
    consents: v.consents.map(consentDto),
    merged_from: v.merges.map((m) => ({ customer_id: m.source_customer_id, merge_reason: m.merge_reason, merged_by: m.merged_by, merged_at: iso(m.merged_at) })),
    open_opportunities: v.open.rows.map(opportunityDto),
    open_opportunity_count: v.open.total,
    recent_activities: v.activities.rows.map((r) => activityDto(r, now)),
    activity_count: v.activities.total,
    open_tasks: v.tasks.rows.map((r) => taskDto(r, now)),
    open_task_count: v.tasks.total,
    ...enrichmentDto(v.enrichment),
  };
}

/** What consumed events of other contexts wrote about the customer (enrichmentOf). */
export function enrichmentDto(e: Awaited<ReturnType<typeof enrichmentOf>>) {
  return {
    service_history: e.serviceOrders.map((s) => ({ service_order_id: s.service_order_id, customer_id: s.customer_id, description: s.description, created_at: iso(s.created_at) })),
    service_history_count: e.serviceOrderCount,
    entitlements: e.entitlements.map((c) => ({
      contract_id: c.contract_id,
      customer_id: c.customer_id,
      product_id: c.product_id,
      entitlement: c.entitlement,
      start_date: c.start_date,
      end_date: c.end_date,
      activated_at: iso(c.activated_at),
      active: c.active,
    })),
    entitlement_count: e.entitlementCount,
    account: e.account && {
      name: e.account.name,
      status: e.account.status,
      segment: e.account.segment,
      primary_contact_id: e.account.primary_contact_id,
      changed_fields: e.account.changed_fields,
      updated_by: e.account.updated_by,
      updated_at: iso(e.account.updated_at),
    },
    credit: e.credit && { blocked: e.credit.blocked, since: iso(e.credit.since), credit_limit: e.credit.credit_limit, exposure: e.credit.exposure, currency: e.credit.currency },
  };
}

export const timelineEntryDto = (e: TimelineEntry): z.input<typeof timelineEntryBody> => ({
  kind: e.kind,
  occurred_at: iso(e.occurred_at),
  source: e.source,
  reference: e.reference,
  entry_id: e.entry_id,
  details: snakeKeys(e.details) as Record<string, unknown>,
});

/** A command's outcome, from the aggregate's own state (the read model may lag). */
export function renderCustomer(result: CommandResult<CustomerProfileState>): Unwritten<typeof customerResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return {
    id: s.customerId,
    name: s.name,
    status: s.status,
    segment: s.segment,
    segments: [...s.segments],
    industry: s.industry,
    employee_count: s.employeeCount,
    annual_revenue: s.annualRevenue,
    primary_contact_id: s.primaryContactId,
    personal_data: s.personalData ? snakeKeys(s.personalData) : null,
    merged_into: s.mergedInto?.targetCustomerId ?? null,
    merged_from: [...s.mergedFrom],
    consents: s.consents,
    changed: result.events.length > 0,
  };
}
