import { z } from 'zod';
import { FORECAST_TYPES, type ForecastType, normaliseForecastType } from '../../aggregates/forecast/index.js';
import { amount, currency, id, minPosition, pagination, periodField, text, userId } from '../fields.js';

/** Forecast bodies and queries, transformed into the use cases' inputs. */
const forecastType = z
  .string({ error: `must be one of ${FORECAST_TYPES.join(', ')}` })
  .transform((s, ctx): ForecastType => {
    const t = normaliseForecastType(s);
    if (!t) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${FORECAST_TYPES.join(', ')}` });
      return z.NEVER;
    }
    return t;
  })
  .meta({ type: 'string', enum: [...FORECAST_TYPES] });

export const createForecastBody = z
  .strictObject({
    id: id.optional(),
    forecast_id: id.optional(),
    period: periodField,
    territory_id: id.optional(),
    owner_id: userId.optional(),
    forecast_type: forecastType,
    amount,
    currency: currency.default('USD'),
    notes: text(4000).optional(),
  })
  .refine((b) => !(b.id && b.forecast_id && b.id !== b.forecast_id), { message: 'id and forecast_id differ', path: ['id'] })
  .transform((b) => ({
    forecastId: b.id ?? b.forecast_id ?? crypto.randomUUID(),
    period: b.period,
    territoryId: b.territory_id,
    ownerId: b.owner_id,
    forecastType: b.forecast_type,
    amount: b.amount,
    currency: b.currency,
    notes: b.notes,
  }));

export const adjustBody = z.strictObject({ amount, reason: text(500) });
export const snapshotBody = z.strictObject({});
export const lockBody = z.strictObject({ reason: text(500).optional() });
export const reassignForecastBody = z
  .strictObject({ owner_id: userId, reason: text(500).optional() })
  .transform((b) => ({ ownerId: b.owner_id, reason: b.reason }));

export const listForecastsQuery = pagination.extend({
  period: periodField.optional(),
  territory_id: id.optional(),
  owner_id: userId.optional(),
  forecast_type: forecastType.optional(),
  status: z.enum(['open', 'locked']).optional(),
  min_position: minPosition,
});

export const snapshotsQuery = pagination.extend({ min_position: minPosition });
