import BigNumber from 'bignumber.js';
import type { z } from 'zod';
import type { ForecastSnapshotCreated, ForecastState } from '../../aggregates/forecast/index.js';
import type { CommandResult } from '../../commands/handler.js';
import type { StoredEvent } from '../../eventstore/envelope.js';
import type { ForecastRow, SnapshotRow } from '../../projections/forecastQueries.js';
import { snakeKeys } from '../../shared/case.js';
import { formatAmount } from '../../shared/money.js';
import type { Unwritten } from '../responses/common.js';
import type { forecastBody, forecastResult, snapshotBody } from '../responses/forecasts.js';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function forecastDto(row: ForecastRow): z.input<typeof forecastBody> {
  return {
    id: row.forecast_id,
    period: row.period,
    period_start: row.period_start,
    period_end: row.period_end,
    territory_id: row.territory_id,
    owner_id: row.owner_id,
    forecast_type: row.forecast_type,
    amount: row.amount,
    currency: row.currency.trim(),
    notes: row.notes,
    status: row.status,
    snapshot_count: row.snapshot_count,
    last_snapshot_at: iso(row.last_snapshot_at),
    locked_at: iso(row.locked_at),
    locked_by: row.locked_by,
    revision: row.revision,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function snapshotDto(row: SnapshotRow): z.input<typeof snapshotBody> {
  return {
    id: row.snapshot_id,
    forecast_id: row.forecast_id,
    revision: row.revision,
    period: row.period,
    territory_id: row.territory_id,
    forecast_type: row.forecast_type,
    currency: row.currency.trim(),
    amount: row.amount,
    probability_weighted_amount: row.probability_weighted_amount,
    total_count: row.total_count,
    total_amount: row.total_amount,
    breakdown: snakeKeys(row.breakdown),
    generated_at: iso(row.generated_at),
    created_by: row.created_by,
  };
}

/** A command's outcome, from the aggregate's own state (the read model may lag). */
export function renderForecast(result: CommandResult<ForecastState>): Unwritten<typeof forecastResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return {
    id: s.forecastId,
    period: s.period,
    territory_id: s.territoryId,
    owner_id: s.ownerId,
    forecast_type: s.forecastType,
    amount: s.amount,
    currency: s.currency,
    status: s.status,
    snapshot_count: s.snapshotCount,
  };
}

/** The snapshot a command recorded, as recorded (a recovered retry answers with the event of back then). */
export function recordedSnapshot(result: CommandResult<ForecastState>) {
  const event = result.events.at(-1) as StoredEvent<ForecastSnapshotCreated> | undefined;
  if (!event) return null;
  const breakdown = event.payload.breakdown;
  return {
    id: event.eventId,
    ...(snakeKeys(event.payload) as Record<string, unknown>),
    total_count: breakdown.reduce((n, s) => n + s.count, 0),
    total_amount: formatAmount(breakdown.reduce((a, s) => a.plus(s.totalAmount), new BigNumber(0))),
  };
}
