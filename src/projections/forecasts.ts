import BigNumber from 'bignumber.js';
import type { Knex } from 'knex';
import { FORECAST_EVENT_TYPES, type ForecastEvent } from '../aggregates/forecast/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { requirePeriod } from '../shared/period.js';
import type { Projection } from './projection.js';

export const FORECASTS_TABLE = 'forecasts';
export const FORECAST_SNAPSHOTS_TABLE = 'forecast_snapshots';

/** The forecasts read model: one row per forecast, and one per snapshot (each is kept). */
export const forecastsProjection: Projection = {
  name: 'forecasts',
  version: 1,
  eventTypes: FORECAST_EVENT_TYPES,
  tables: [FORECASTS_TABLE, FORECAST_SNAPSHOTS_TABLE],
  async handle(trx: Knex.Transaction, stored: StoredEvent) {
    const e = stored as StoredEvent<ForecastEvent>;
    const key = { tenant_id: e.tenantId, forecast_id: e.aggregateId };
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const forecasts = () => trx(FORECASTS_TABLE);
    const event = { type: e.eventType, data: e.payload } as ForecastEvent;
    switch (event.type) {
      case 'ForecastCreatedEvent': {
        const d = event.data;
        const period = requirePeriod(d.period);
        await forecasts()
          .insert({
            ...key,
            period: period.code,
            period_start: period.start,
            period_end: period.last,
            territory_id: d.territoryId,
            owner_id: d.ownerId,
            forecast_type: d.forecastType,
            amount: d.amount,
            currency: d.currency,
            notes: d.notes,
            deal_scope: d.dealScope ?? null,
            status: 'open',
            snapshot_count: 0,
            created_by: e.metadata.userId,
            created_at: e.timestamp,
            ...touch,
          })
          // Replays are harmless: the row already holds this event's effect.
          .onConflict(['tenant_id', 'forecast_id'])
          .ignore();
        return;
      }
      case 'ForecastAdjustedEvent':
        await forecasts().where(key).update({ amount: event.data.toAmount, ...touch });
        return;
      case 'ForecastSnapshotCreatedEvent': {
        const d = event.data;
        await trx(FORECAST_SNAPSHOTS_TABLE)
          .insert({
            tenant_id: e.tenantId,
            snapshot_id: e.eventId,
            forecast_id: e.aggregateId,
            revision: e.revision.toString(),
            period: d.period,
            territory_id: d.territoryId,
            forecast_type: d.forecastType,
            currency: d.currency,
            amount: d.amount,
            probability_weighted_amount: d.probabilityWeightedAmount,
            total_count: d.breakdown.reduce((n, s) => n + s.count, 0),
            total_amount: d.breakdown.reduce((acc, s) => acc.plus(s.totalAmount), new BigNumber(0)).toFixed(2),
            breakdown: JSON.stringify(d.breakdown),
            generated_at: d.generatedAt,
            created_by: e.metadata.userId,
          })
          .onConflict(['tenant_id', 'snapshot_id'])
          .ignore();
        // Counted, not incremented, so that handling an event twice could not miscount.
        await forecasts()
          .where(key)
          .update({
            snapshot_count: trx(FORECAST_SNAPSHOTS_TABLE).where(key).count('*'),
            last_snapshot_at: d.generatedAt,
            ...touch,
          });
        return;
      }
      case 'ForecastReassignedEvent':
        await forecasts().where(key).update({ owner_id: event.data.toOwnerId, ...touch });
        return;
      case 'ForecastLockedEvent':
        await forecasts().where(key).update({ status: 'locked', locked_at: e.timestamp, locked_by: e.metadata.userId, ...touch });
        return;
    }
  },
};
