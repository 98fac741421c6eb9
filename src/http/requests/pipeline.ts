import { z } from 'zod';
import { DEFAULT_PIPELINE_CURRENCY } from '../../projections/pipelineQueries.js';
import { requirePeriod } from '../../shared/period.js';
import { currency, id, minPosition, periodField, userId } from '../fields.js';

/** Queries of the pipeline and analytics endpoints, transformed into the read functions' input. */
export const pipelineQuery = z
  .object({
    period: periodField,
    owner_id: userId.optional(),
    territory_id: id.optional(),
    currency: currency.default(DEFAULT_PIPELINE_CURRENCY),
    min_position: minPosition,
    /** The pipeline as it stood then: an instant, or a date (its end, UTC). */
    as_of: z
      .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO-8601 instant or a date YYYY-MM-DD' })
      .transform((v) => new Date(v.length === 10 ? `${v}T23:59:59.999Z` : v))
      .optional(),
  })
  .transform((q) => ({ period: q.period, currency: q.currency, ownerId: q.owner_id, territoryId: q.territory_id, asOf: q.as_of }));

export const analyticsQuery = z
  .object({
    period: z.string().trim().min(1).optional(),
    owner_id: userId.optional(),
    currency: currency.default('USD'),
    min_position: minPosition,
  })
  .transform((q) => ({ ...(q.period ? { period: requirePeriod(q.period) } : {}), ownerId: q.owner_id, currency: q.currency }));
