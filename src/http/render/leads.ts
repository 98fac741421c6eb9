import type { z } from 'zod';
import { type LeadState, QUALIFICATION_THRESHOLD } from '../../aggregates/lead/index.js';
import type { CommandResult } from '../../commands/handler.js';
import type { ConvertLeadOutcome } from '../../commands/leadConversion.js';
import type { StoredResponse } from '../../commands/idempotency.js';
import { formatPosition } from '../../eventstore/port.js';
import type { LeadRow } from '../../projections/leadQueries.js';
import { snakeKeys } from '../../shared/case.js';
import { etagOf } from '../commandReply.js';
import type { Unwritten } from '../responses/common.js';
import type { leadBody, leadResult } from '../responses/leads.js';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Seed 004's list item, plus what else the read model knows; assigned_to is {id, name}. */
export function leadDto(row: LeadRow): z.input<typeof leadBody> {
  return {
    id: row.lead_id,
    status: row.status,
    source: row.source,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    phone: row.phone,
    personal_data_erased_at: iso(row.personal_data_erased_at),
    company: row.company,
    title: row.title,
    industry: row.industry,
    employee_count: row.employee_count,
    annual_revenue: row.annual_revenue,
    currency: row.currency?.trim() ?? null,
    score: row.score,
    score_breakdown: snakeKeys(row.score_breakdown),
    marketing_score: row.marketing_score,
    // No user directory in this service: the name is unknown here.
    assigned_to: { id: row.owner_id, name: null },
    territory_id: row.territory_id,
    assigned_at: iso(row.assigned_at),
    opportunity_id: row.opportunity_id,
    customer_id: row.customer_id,
    converted_at: iso(row.converted_at),
    metadata: row.metadata,
    revision: row.revision,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

type Existing = Extract<LeadState, { exists: true }>;

export function existingLead(result: CommandResult<LeadState>): Existing {
  if (!result.state.exists) throw new Error('lead command left no lead'); // every lead command needs one
  return result.state;
}

/** A command's outcome, from the lead's own state (the read model may lag). */
export function renderLead(result: CommandResult<LeadState>): Unwritten<typeof leadResult> {
  const s = existingLead(result);
  return {
    id: s.leadId,
    status: s.status,
    assigned_to: s.ownerId,
    territory_id: s.territoryId,
    score: s.score,
    score_breakdown: snakeKeys(s.breakdown),
    marketing_score: s.marketingScore,
    qualification_threshold: QUALIFICATION_THRESHOLD,
    created_at: s.createdAt,
  };
}

/** 201 for the request that converted the lead; a repeat gets the same body with 200. */
export function conversionResponse(o: ConvertLeadOutcome): StoredResponse {
  const headers: Record<string, string> = { ETag: etagOf(o.leadRevision), Location: `/api/v1/opportunities/${encodeURIComponent(o.opportunityId)}` };
  if (o.position) headers['X-Event-Position'] = formatPosition(o.position);
  return {
    status: o.convertedNow ? 201 : 200,
    headers,
    body: {
      opportunity_id: o.opportunityId,
      lead_id: o.leadId,
      customer_id: o.customerId,
      customer_created: o.customerCreated,
      status: 'converted',
      converted_at: o.convertedAt,
      revision: o.leadRevision.toString(),
      position: o.position ? formatPosition(o.position) : null,
    },
  };
}
