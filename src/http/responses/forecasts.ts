import { z } from 'zod';
import { date, instant, money, nullable, pageOf, ratio, written } from './common.js';
import { forecastQuotaBody } from './quotas.js';

const accuracy = z.object({ attainment: nullable(ratio), accuracy: nullable(ratio) });

export const forecastBody = z.object({
  id: z.string(),
  period: z.string(),
  period_start: date,
  period_end: date,
  territory_id: nullable(z.string()),
  owner_id: z.string(),
  forecast_type: z.string(),
  amount: money,
  currency: z.string(),
  notes: nullable(z.string()),
  status: z.string().meta({ enum: ['open', 'locked'] }),
  snapshot_count: z.number().int(),
  last_snapshot_at: nullable(instant),
  locked_at: nullable(instant),
  locked_by: nullable(z.string()),
  revision: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
  created_at: nullable(instant),
  updated_at: nullable(instant),
});

export const forecastPage = pageOf(forecastBody);
export const forecastPeriodPage = forecastPage.extend({ period: z.string() });

export const snapshotBody = z.object({
  id: z.string(),
  forecast_id: z.string(),
  revision: z.string(),
  period: z.string(),
  territory_id: nullable(z.string()),
  forecast_type: z.string(),
  currency: z.string(),
  amount: money,
  probability_weighted_amount: money,
  total_count: z.number().int(),
  total_amount: money,
  breakdown: z.unknown(),
  generated_at: nullable(instant),
  created_by: z.string(),
  accuracy: nullable(z.object({ amount: accuracy, probability_weighted_amount: accuracy })).optional(),
});

/** The pipeline a forecast is measured against: over the deals the caller may see. */
const coverage = {
  current_pipeline: money,
  pipeline_coverage: nullable(z.string()).meta({ description: 'current_pipeline / amount, 2 decimals; null for amount 0' }),
};

export const forecastDetailBody = forecastBody.extend({
  current_pipeline: money.optional(),
  pipeline_coverage: nullable(z.string()).optional(),
  quota: forecastQuotaBody.optional().meta({ description: 'the quota of its territory (else its owner) and period, with attainment and quota_coverage; null: none the caller may read' }),
  outcome: nullable(z.object({ actual_won_count: z.number().int(), actual_won_amount: money, ...accuracy.shape })).optional(),
  snapshots: z.array(snapshotBody),
});

export const snapshotsPage = pageOf(snapshotBody).extend({ id: z.string(), outcome: forecastDetailBody.shape.outcome });

export const forecastResult = z.object({
  id: z.string(),
  period: z.string().optional(),
  territory_id: nullable(z.string()).optional(),
  owner_id: z.string().optional(),
  forecast_type: z.string().optional(),
  amount: money.optional(),
  currency: z.string().optional(),
  status: z.string().optional(),
  snapshot_count: z.number().int().optional(),
  notes: nullable(z.string()).optional(),
  created_at: nullable(instant).optional(),
  current_pipeline: money.optional(),
  pipeline_coverage: coverage.pipeline_coverage.optional(),
  quota: forecastQuotaBody.optional(),
  snapshot: nullable(z.looseObject({ id: z.string(), total_count: z.number().int(), total_amount: money })).optional(),
  ...written,
});
