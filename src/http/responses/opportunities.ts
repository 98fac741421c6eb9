import { z } from 'zod';
import { date, instant, money, nullable, pageOf, ratio, written } from './common.js';

export const opportunityBody = z.object({
  id: z.string(),
  name: nullable(z.string()),
  customer_id: nullable(z.string()),
  lead_id: nullable(z.string()),
  territory_id: nullable(z.string()),
  owner_id: nullable(z.string()),
  stage: z.string(),
  status: z.string().meta({ enum: ['open', 'won', 'lost'] }),
  probability: z.number().int(),
  amount: money,
  currency: z.string(),
  expected_close_date: nullable(date),
  close_date: nullable(date),
  lost_reason: nullable(z.string()),
  next_step: nullable(z.string()),
  pricing: nullable(z.object({ quote_id: z.string(), amount: nullable(money), currency: nullable(z.string()), valid_until: nullable(date) })),
  deal_score: z.number().int().meta({ description: 'deal health 0-100, the rubric in docs (aggregates/opportunity/dealScore.ts)' }),
  products: z.unknown(),
  commercial_terms: nullable(z.unknown()).meta({ description: 'PUT .../commercial-terms: contract, payment, products, onboarding' }),
  metadata: z.unknown(),
  revision: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
  created_at: instant,
  updated_at: instant,
});

export const opportunityPage = pageOf(opportunityBody);

/** A command's answer, from the aggregate's own state (the read model may lag). */
export const opportunityResult = z.object({
  id: z.string(),
  customer_id: z.string().optional(),
  owner_id: z.string().optional(),
  stage: z.string().optional(),
  status: z.string().optional(),
  probability: z.number().int().optional(),
  deal_score: z.number().int().optional(),
  amount: money.optional(),
  currency: z.string().optional(),
  expected_close_date: nullable(date).optional(),
  next_step: nullable(z.string()).optional(),
  commercial_terms: nullable(z.unknown()).optional(),
  updated_at: nullable(instant).optional(),
  ...written,
});

const stageFigures = z.object({ stage: z.string(), count: z.number().int(), total_amount: money, probability: nullable(z.number().int()), weighted_amount: money });

export const pipelineBody = z.object({
  period: z.string(),
  period_start: date,
  period_end: date,
  owner_id: nullable(z.string()),
  territory_id: nullable(z.string()),
  currency: z.string(),
  summary: z.object({ total_count: z.number().int(), total_amount: money, weighted_amount: money }),
  by_stage: z.array(stageFigures),
  other_currencies: z.array(z.object({ currency: z.string(), count: z.number().int(), total_amount: money })),
  as_of: instant.optional(),
});

const winLossFigures = {
  won_count: z.number().int(),
  lost_count: z.number().int(),
  win_rate_by_count: nullable(ratio),
  won_amount: money,
  lost_amount: money,
  win_rate_by_value: nullable(ratio),
};

export const winLossBody = z.object({
  period: nullable(z.string()),
  owner_id: nullable(z.string()),
  currency: z.string(),
  overall: z.object(winLossFigures),
  by_owner: z.array(z.object({ owner_id: z.string(), ...winLossFigures })),
  by_period: z.array(z.object({ period: z.string(), ...winLossFigures })),
  by_loss_reason: z.array(z.object({ reason: z.string(), count: z.number().int(), amount: money })),
});

export const salesMetricsBody = z.object({
  period: nullable(z.string()),
  owner_id: nullable(z.string()),
  currency: z.string(),
  average_deal_size: nullable(money),
  won_count: z.number().int(),
  sales_cycle_days: z.object({ won: nullable(z.string()), closed: nullable(z.string()) }),
  stage_conversion: z.array(z.object({ stage: z.string(), entered: z.number().int(), advanced: z.number().int(), conversion_rate: nullable(ratio) })),
  time_in_stage: z.array(z.object({ stage: z.string(), samples: z.number().int(), average_days: z.string() })),
  slipped_deals: nullable(z.object({ count: z.number().int(), amount: money, opportunities: z.array(z.string()), opportunities_truncated: z.boolean() })),
});

/** POST /opportunities/bulk: every item's outcome, in the order given. */
export const bulkResult = z.object({
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      id: nullable(z.string()),
      status: z.number().int().meta({ description: 'the HTTP status the item would have had on its own' }),
      result: opportunityResult.optional(),
      error: z
        .object({ code: z.string(), message: z.string(), details: z.unknown() })
        .optional()
        .meta({ description: 'the error envelope of seed 004, for a failed item' }),
    }),
  ),
});
