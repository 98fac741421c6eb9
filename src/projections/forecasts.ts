import BigNumber from 'bignumber.js';
import type { Knex } from 'knex';
import { FORECAST_EVENT_TYPES, type ForecastEvent } from '../aggregates/forecast/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { requirePeriod } from '../shared/period.js';
import type { Projection } from './projection.js';
import type { KnownRows } from './knownRows.js';
import { type Row, type RowEffect, applyRows, keyedRows, writeRows } from './rows.js';

export const FORECASTS_TABLE = 'forecasts';
export const FORECAST_SNAPSHOTS_TABLE = 'forecast_snapshots';

const eventOf = (e: StoredEvent) => ({ type: e.eventType, data: e.payload }) as ForecastEvent;

/** One row per forecast; its snapshot_count is counted after the batch (countSnapshots). */
const forecastRows = keyedRows({
  table: FORECASTS_TABLE,
  keyColumns: ['tenant_id', 'forecast_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, forecast_id: e.aggregateId }),
  effect(e): RowEffect {
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const event = eventOf(e);
    switch (event.type) {
      case 'ForecastCreatedEvent': {
        const d = event.data;
        const period = requirePeriod(d.period);
        // Replays are harmless: the row already holds this event's effect.
        return {
          create: {
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
          },
        };
      }
      case 'ForecastAdjustedEvent':
        return { change: { amount: event.data.toAmount, ...touch } };
      case 'ForecastSnapshotCreatedEvent':
        return { change: { last_snapshot_at: event.data.generatedAt, ...touch } };
      case 'ForecastReassignedEvent':
        return { change: { owner_id: event.data.toOwnerId, ...touch } };
      case 'ForecastLockedEvent':
        return { change: { status: 'locked', locked_at: e.timestamp, locked_by: e.metadata.userId, ...touch } };
    }
  },
});

/** The forecast_snapshots row a snapshot event adds (each snapshot is kept). */
function snapshotRow(e: StoredEvent): Row | undefined {
  const event = eventOf(e);
  if (event.type !== 'ForecastSnapshotCreatedEvent') return undefined;
  const d = event.data;
  return {
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
    // A JSON value: writeRows sends the rows as jsonb, so the column takes it as it is.
    breakdown: d.breakdown,
    generated_at: d.generatedAt,
    created_by: e.metadata.userId,
  };
}

/**
 * Counted, not incremented, so that handling an event twice could not miscount: after the
 * batch's snapshots are stored, the count of each forecast that had one. (Per event this was
 * the count at that event; its last snapshot in the batch sees them all, and a forecast's
 * snapshots never precede its creation, revision 0 of its stream.)
 */
async function countSnapshots(trx: Knex.Transaction, keys: readonly Row[]): Promise<void> {
  if (keys.length === 0) return;
  await trx.raw(
    `update ${FORECASTS_TABLE} f set snapshot_count = (select count(*) from ${FORECAST_SNAPSHOTS_TABLE} s where s.tenant_id = f.tenant_id and s.forecast_id = f.forecast_id)
      where (f.tenant_id, f.forecast_id) in (select k.tenant_id, k.forecast_id from jsonb_to_recordset(?::jsonb) as k(tenant_id text, forecast_id text))`,
    [JSON.stringify(keys)],
  );
}

/** Snapshots, then the forecasts' rows, then their counts: the two tables' rules read nothing else. */
async function applyBatch(trx: Knex.Transaction, events: readonly StoredEvent[], known?: KnownRows): Promise<void> {
  const snapshots: Row[] = [];
  const counted = new Map<string, Row>();
  for (const e of events) {
    const row = snapshotRow(e);
    if (!row) continue;
    snapshots.push(row);
    counted.set(`${e.tenantId}\u0000${e.aggregateId}`, { tenant_id: e.tenantId, forecast_id: e.aggregateId });
  }
  await writeRows(trx, FORECAST_SNAPSHOTS_TABLE, ['tenant_id', 'snapshot_id'], snapshots, 'ignore');
  await applyRows(trx, forecastRows, events, known);
  await countSnapshots(trx, [...counted.values()]);
}

/** The forecasts read model: one row per forecast, and one per snapshot (each is kept). */
export const forecastsProjection: Projection = {
  name: 'forecasts',
  version: 1,
  eventTypes: FORECAST_EVENT_TYPES,
  tables: [FORECASTS_TABLE, FORECAST_SNAPSHOTS_TABLE],
  handle: (trx, e) => applyBatch(trx, [e]),
  handleBatch: applyBatch,
};
