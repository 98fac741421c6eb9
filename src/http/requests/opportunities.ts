import { z } from 'zod';
import { OPPORTUNITY_SORTS } from '../../projections/opportunityQueries.js';
import { amount, currency, id, integer, isoDate, metadata, minPosition, pagination, text, userId } from '../fields.js';

/**
 * Request bodies and queries of the opportunity endpoints: snake_case as seed 004 has them, each
 * transformed into its use case's input, so an endpoint only passes it on.
 */
const stage = z.string().trim().min(1).max(64);

export const createOpportunityBody = z
  .strictObject({
    id: id.optional(),
    opportunity_id: id.optional(),
    name: text(200).optional(),
    customer_id: id.optional(),
    account_id: id.optional(),
    lead_id: id.optional(),
    territory_id: id.optional(),
    stage: stage.optional(),
    amount,
    currency: currency.default('USD'),
    expected_close_date: isoDate.optional(),
    probability: integer(0, 100).optional(),
    owner_id: userId.optional(),
    products: z
      .array(z.strictObject({ product_id: id, quantity: integer(1, 1_000_000_000), unit_price: amount }))
      .max(500)
      .optional(),
    metadata: metadata.optional(),
  })
  .refine((b) => b.customer_id ?? b.account_id, { message: 'customer_id (or account_id) is required', path: ['customer_id'] })
  .refine((b) => !(b.id && b.opportunity_id && b.id !== b.opportunity_id), { message: 'id and opportunity_id differ', path: ['id'] })
  .refine((b) => !(b.customer_id && b.account_id && b.customer_id !== b.account_id), {
    message: 'customer_id and account_id differ',
    path: ['account_id'],
  })
  .transform((b) => ({
    opportunityId: b.id ?? b.opportunity_id,
    name: b.name,
    customerId: (b.customer_id ?? b.account_id)!,
    leadId: b.lead_id,
    territoryId: b.territory_id,
    ownerId: b.owner_id,
    stage: b.stage,
    amount: b.amount,
    currency: b.currency,
    probability: b.probability,
    expectedCloseDate: b.expected_close_date,
    products: b.products?.map((p) => ({ productId: p.product_id, quantity: p.quantity, unitPrice: p.unit_price })),
    metadata: b.metadata,
  }));

export const changeStageBody = z
  .strictObject({
    stage,
    probability: integer(0, 100).optional(),
    next_step: text(500).optional(),
    notes: text(4000).optional(),
    reason: text(500).optional(),
  })
  .transform((b) => ({ stage: b.stage, probability: b.probability, nextStep: b.next_step, notes: b.notes, lostReason: b.reason }));

export const closeBody = z
  .strictObject({ outcome: z.enum(['won', 'lost']), close_date: isoDate.optional(), reason: text(500).optional() })
  .transform((b) => ({ outcome: b.outcome, closeDate: b.close_date, reason: b.reason }));

export const reassignBody = z
  .strictObject({ owner_id: userId, reason: text(500).optional() })
  .transform((b) => ({ ownerId: b.owner_id, reason: b.reason }));

export const territoryBody = z
  .strictObject({ territory_id: id, reason: text(500).optional() })
  .transform((b) => ({ territoryId: b.territory_id, reason: b.reason }));

export const updateBody = z
  .strictObject({
    amount: amount.optional(),
    currency: currency.optional(),
    expected_close_date: isoDate.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update: give amount, currency or expected_close_date' })
  .transform((b) => ({ amount: b.amount, currency: b.currency, expectedCloseDate: b.expected_close_date }));

export const listQuery = pagination.extend({
  stage: stage.optional(),
  owner_id: userId.optional(),
  customer_id: id.optional(),
  account_id: id.optional(),
  territory_id: id.optional(),
  lead_id: id.optional(),
  status: z.enum(['open', 'won', 'lost']).optional(),
  min_deal_score: z.coerce.number().int().min(0).max(100).optional(),
  max_deal_score: z.coerce.number().int().min(0).max(100).optional(),
  expected_close_from: isoDate.optional(),
  expected_close_to: isoDate.optional(),
  /** A column, `-` first for descending; default -created_at (newest first). */
  sort: z.enum([...OPPORTUNITY_SORTS, ...OPPORTUNITY_SORTS.map((s) => `-${s}` as const)]).optional(),
  min_position: minPosition,
});
