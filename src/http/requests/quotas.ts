import { z } from 'zod';
import { amount, currency, id, minPosition, pagination, periodField, userId } from '../fields.js';

/** Quota bodies and queries (seed 004 style, snake_case), transformed into the use cases' inputs. */
export const setQuotaBody = z
  .strictObject({
    owner_id: userId.optional(),
    territory_id: id.optional(),
    period: periodField,
    amount,
    currency: currency.default('USD'),
  })
  .transform((b) => ({ ownerId: b.owner_id, territoryId: b.territory_id, period: b.period, amount: b.amount, currency: b.currency }));

export const updateQuotaBody = z.strictObject({ amount: amount.optional(), currency: currency.optional() });

export const listQuotasQuery = pagination.extend({
  owner_id: userId.optional(),
  territory_id: id.optional(),
  period: periodField.optional(),
  min_position: minPosition,
});
