import type { z } from 'zod';
import type { CustomerProfileState } from '../../aggregates/customerProfile/index.js';
import type { CommandResult } from '../../commands/handler.js';
import type { ConsentRow, CustomerRow, customer360For } from '../../projections/customerQueries.js';
import { snakeKeys } from '../../shared/case.js';
import type { Unwritten } from '../responses/common.js';
import type { consentBody, customer360Body, customerBody, customerResult } from '../responses/customers.js';
import { opportunityDto } from './opportunities.js';

const iso = (d: Date | string) => new Date(d).toISOString();

export function customerDto(row: CustomerRow): z.input<typeof customerBody> {
  return {
    id: row.customer_id,
    name: row.name,
    status: row.status,
    segment: row.segment,
    primary_contact_id: row.primary_contact_id,
    personal_data: row.personal_data ? snakeKeys(row.personal_data) : null,
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

export function customer360Dto(v: NonNullable<Awaited<ReturnType<typeof customer360For>>>): z.input<typeof customer360Body> {
  return {
    ...customerDto(v.row),
    consents: v.consents.map(consentDto),
    merged_from: v.merges.map((m) => ({ customer_id: m.source_customer_id, merge_reason: m.merge_reason, merged_by: m.merged_by, merged_at: iso(m.merged_at) })),
    open_opportunities: v.open.rows.map(opportunityDto),
    open_opportunity_count: v.open.total,
  };
}

/** A command's outcome, from the aggregate's own state (the read model may lag). */
export function renderCustomer(result: CommandResult<CustomerProfileState>): Unwritten<typeof customerResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return {
    id: s.customerId,
    name: s.name,
    status: s.status,
    segment: s.segment,
    primary_contact_id: s.primaryContactId,
    personal_data: s.personalData ? snakeKeys(s.personalData) : null,
    merged_into: s.mergedInto?.targetCustomerId ?? null,
    merged_from: [...s.mergedFrom],
    consents: s.consents,
    changed: result.events.length > 0,
  };
}
