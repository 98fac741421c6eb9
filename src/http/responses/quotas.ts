import { z } from 'zod';
import { date, instant, money, nullable, pageOf, ratio, written } from './common.js';

/** Attainment and quota-based coverage, computed when asked from the opportunities read model. */
export const quotaFiguresBody = z.object({
  won_count: z.number().int(),
  won_amount: money,
  open_pipeline: money.meta({ description: 'open deals expected to close in the period (the pipeline total)' }),
  remaining: money.meta({ description: 'amount - won_amount, never below 0' }),
  attainment: nullable(ratio).meta({ description: 'won_amount / amount, 4 decimals half up' }),
  quota_coverage: nullable(z.string()).meta({ description: 'open_pipeline / remaining, 2 decimals half up; null once the quota is met' }),
});

export const quotaBody = z.object({
  id: z.string(),
  owner_id: nullable(z.string()),
  territory_id: nullable(z.string()),
  period: z.string(),
  period_start: date,
  period_end: date,
  amount: money,
  currency: z.string(),
  attained_at: nullable(instant).meta({ description: 'when the quota was last attained (QuotaAttainedEvent)' }),
  attained_quota_amount: nullable(money),
  revision: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
  created_at: instant,
  updated_at: instant,
  ...quotaFiguresBody.partial().shape,
});

export const quotaPage = pageOf(quotaBody);

export const quotaResult = z.object({
  id: z.string(),
  owner_id: nullable(z.string()).optional(),
  territory_id: nullable(z.string()).optional(),
  period: z.string().optional(),
  amount: money.optional(),
  currency: z.string().optional(),
  ...written,
});

/** A forecast's quota, beside its pipeline_coverage: the quota of its territory, or of its owner. */
export const forecastQuotaBody = nullable(quotaFiguresBody.extend({ id: z.string(), amount: money, currency: z.string() }));
