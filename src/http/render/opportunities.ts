import type { z } from 'zod';
import { type OpportunityState, dealScoreOf } from '../../aggregates/opportunity/index.js';
import type { CommercialTerms, OnboardingContact } from '../../aggregates/opportunity/commercialTerms.js';
import type { BulkOutcome } from '../../commands/bulkOpportunities.js';
import type { CommandResult } from '../../commands/handler.js';
import { formatPosition } from '../../eventstore/port.js';
import { STATUS } from '../errors.js';
import type { OpportunityRow } from '../../projections/opportunityQueries.js';
import { snakeKeys } from '../../shared/case.js';
import type { Unwritten } from '../responses/common.js';
import type { bulkResult, opportunityBody, opportunityResult } from '../responses/opportunities.js';

/** An opportunity as the read model has it, in the API's shape (seed 004 snake_case). */
export function opportunityDto(row: OpportunityRow): z.input<typeof opportunityBody> {
  return {
    id: row.opportunity_id,
    name: row.name,
    customer_id: row.customer_id,
    lead_id: row.lead_id,
    territory_id: row.territory_id,
    owner_id: row.owner_id,
    stage: row.stage,
    status: row.status,
    probability: row.probability,
    amount: row.amount,
    currency: row.currency.trim(),
    expected_close_date: row.expected_close_date,
    close_date: row.close_date,
    lost_reason: row.lost_reason,
    next_step: row.next_step,
    // Sales' latest quote for this deal (QuoteCreatedEvent), when one was attached.
    pricing: row.quote_id
      ? { quote_id: row.quote_id, amount: row.quote_amount, currency: row.quote_currency?.trim() ?? null, valid_until: row.quote_valid_until }
      : null,
    deal_score: row.deal_score,
    products: snakeKeys(row.products),
    commercial_terms: row.commercial_terms ? commercialTermsDto(row.commercial_terms) : null,
    metadata: row.metadata,
    revision: row.revision,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The terms in the API's words (the request's field names: contract_term, priority...). */
export function commercialTermsDto(t: CommercialTerms & { contacts: readonly OnboardingContact[] }) {
  return {
    contract_term: t.contractTermMonths,
    start_date: t.startDate,
    payment_terms: t.paymentTerms,
    billing_frequency: t.billingFrequency,
    products: t.products.map((p) => ({
      product_id: p.productId,
      product_name: p.productName,
      quantity: p.quantity,
      unit_price: p.unitPrice,
      discount: p.discount,
      configuration: p.configuration,
    })),
    special_requirements: t.specialRequirements,
    priority: t.onboardingPriority,
    contacts: t.contacts.map((c) => ({ type: c.type, name: c.name, email: c.email, phone: c.phone, ...(c.erased ? { erased: true } : {}) })),
  };
}

/** A command's outcome, from the aggregate's own state (the read model may lag). */
export function renderOpportunity(result: CommandResult<OpportunityState>): Unwritten<typeof opportunityResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return {
    id: s.opportunityId,
    customer_id: s.customerId,
    owner_id: s.ownerId,
    stage: s.stage,
    status: s.status,
    probability: s.probability,
    deal_score: dealScoreOf(s),
    amount: s.amount,
    currency: s.currency,
    expected_close_date: s.expectedCloseDate,
    next_step: s.nextStep,
    commercial_terms: s.commercialTerms ? commercialTermsDto({ ...s.commercialTerms, contacts: s.contacts }) : null,
    updated_at: result.events.at(-1)?.timestamp ?? null,
  };
}

/** A bulk request's answer: every item's outcome in order, a failed one with its error envelope. */
export function renderBulk(outcomes: readonly BulkOutcome[], ids: readonly (string | null)[]): z.input<typeof bulkResult> {
  const results = outcomes.map((o) =>
    o.ok
      ? {
          index: o.index,
          id: o.result.aggregateId,
          status: 200,
          result: { ...renderOpportunity(o.result), revision: o.result.revision.toString(), position: o.result.position ? formatPosition(o.result.position) : null },
        }
      : { index: o.index, id: ids[o.index] ?? null, status: STATUS[o.error.code], error: { code: o.error.code, message: o.error.message, details: o.error.details } },
  );
  const succeeded = outcomes.filter((o) => o.ok).length;
  return { total: outcomes.length, succeeded, failed: outcomes.length - succeeded, results };
}
