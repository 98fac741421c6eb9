import type { OwnerScope } from '../../access/policy.js';
import type { DealScope } from '../../aggregates/forecast/events.js';
import { type Pipeline, pipeline } from '../../projections/pipelineQueries.js';
import { managedUsers } from '../../projections/teamQueries.js';
import type { Period } from '../../shared/period.js';
import type { AppContext } from '../context.js';

/** What a forecast measures: its period, territory (all when none) and currency, over its deal scope. */
export interface ForecastMeasure {
  readonly tenantId: string;
  readonly ownerId: string;
  readonly dealScope: DealScope;
  readonly period: Period | string;
  readonly territoryId: string | null;
  readonly currency: string;
}

/** The owners whose deals a forecast's scope covers, with its owner's teams as they are now. */
export async function forecastOwners(app: Pick<AppContext, 'db'>, m: Pick<ForecastMeasure, 'tenantId' | 'ownerId' | 'dealScope'>): Promise<OwnerScope> {
  if (m.dealScope === 'all') return 'all';
  if (m.dealScope === 'own') return [m.ownerId];
  return [m.ownerId, ...(await managedUsers(app.db, m.tenantId, m.ownerId))];
}

/**
 * The pipeline a forecast is measured against (its `current_pipeline`, coverage and snapshots):
 * the forecast's own scope, whoever asks, so a snapshot means the same to everyone who reads it.
 */
export async function forecastPipeline(app: Pick<AppContext, 'db' | 'stageSetFor'>, m: ForecastMeasure): Promise<Pipeline> {
  return pipeline(app.db, m.tenantId, await app.stageSetFor(m.tenantId), {
    owners: await forecastOwners(app, m),
    period: m.period,
    currency: m.currency,
    ...(m.territoryId !== null ? { territoryId: m.territoryId } : {}),
  });
}
