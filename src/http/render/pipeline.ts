import type { z } from 'zod';
import type { Pipeline } from '../../projections/pipelineQueries.js';
import type { pipelineBody } from '../responses/opportunities.js';

/** Seed 004's pipeline shape in snake_case, plus the currency, period bounds and excluded currencies. */
export function pipelineDto(p: Pipeline): z.input<typeof pipelineBody> {
  return {
    period: p.period.code,
    period_start: p.period.start,
    period_end: p.period.last,
    owner_id: p.ownerId,
    territory_id: p.territoryId,
    currency: p.currency,
    summary: { total_count: p.summary.totalCount, total_amount: p.summary.totalAmount, weighted_amount: p.summary.weightedAmount },
    by_stage: p.byStage.map((s) => ({
      stage: s.stage,
      count: s.count,
      total_amount: s.totalAmount,
      probability: s.probability,
      weighted_amount: s.weightedAmount,
    })),
    other_currencies: p.otherCurrencies.map((o) => ({ currency: o.currency, count: o.count, total_amount: o.totalAmount })),
  };
}
