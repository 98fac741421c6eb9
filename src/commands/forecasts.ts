import { forecastDealReach, type OwnerScope } from '../access/policy.js';
import type { DealScope } from '../aggregates/forecast/events.js';
import { type ForecastCommand, type ForecastState, forecastAggregate } from '../aggregates/forecast/index.js';
import type { ForecastRow } from '../projections/forecastQueries.js';
import { type Pipeline, forecastAccuracy, pipeline, pipelineCoverage, wonInPeriod } from '../projections/pipelineQueries.js';
import { managedUsers } from '../projections/teamQueries.js';
import { notFound } from '../shared/errors.js';
import type { Amount } from '../shared/money.js';
import { type Period, requirePeriod } from '../shared/period.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';
import { loadReadable } from './load.js';

/**
 * Forecast use cases, and the rule of what a forecast measures: its period, its territory (every
 * territory when it has none) and its currency, over its deal scope (fixed when it is created:
 * see forecastDealReach), whoever asks. A snapshot records those figures.
 */
export type ForecastResult = CommandResult<ForecastState>;

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

export async function forecastPipeline(app: Pick<AppContext, 'db' | 'stageSetFor'>, m: ForecastMeasure): Promise<Pipeline> {
  return pipeline(app.db, m.tenantId, await app.stageSetFor(m.tenantId), {
    owners: await forecastOwners(app, m),
    period: m.period,
    currency: m.currency,
    ...(m.territoryId !== null ? { territoryId: m.territoryId } : {}),
  });
}

/** The pipeline a forecast is measured against, and how well it covers the forecast's amount. */
export const coverage = (p: Pipeline, amount: string) => ({
  currentPipeline: p.summary.totalAmount,
  pipelineCoverage: pipelineCoverage(p.summary.totalAmount, amount),
});

/**
 * Once the forecast's period is over (its last day before today, UTC): what was actually won
 * in its measure, and how accurate an amount was. Undefined while the period runs.
 */
export async function forecastOutcome(app: Pick<AppContext, 'db'>, m: ForecastMeasure & { periodEnd: string }, now: Date) {
  if (m.periodEnd >= now.toISOString().slice(0, 10)) return undefined;
  const actual = await wonInPeriod(app.db, m.tenantId, {
    owners: await forecastOwners(app, m),
    period: requirePeriod(typeof m.period === 'string' ? m.period : m.period.code),
    currency: m.currency,
    ...(m.territoryId !== null ? { territoryId: m.territoryId } : {}),
  });
  return { actual, accuracyOf: (amount: string) => forecastAccuracy(amount, actual.amount) };
}

export interface CreateForecastInput {
  readonly forecastId: string;
  readonly period: Period;
  readonly territoryId?: string;
  /** Default: the caller. */
  readonly ownerId?: string;
  readonly forecastType: string;
  readonly amount: Amount;
  readonly currency: string;
  readonly notes?: string;
}

/** The measure the read model keeps of a forecast (older rows, created before access control, measured all). */
export const rowMeasure = (row: ForecastRow): ForecastMeasure & { periodEnd: string } => ({
  tenantId: row.tenant_id,
  ownerId: row.owner_id,
  dealScope: (row.deal_scope ?? 'all') as DealScope,
  period: row.period,
  territoryId: row.territory_id,
  currency: row.currency.trim(),
  periodEnd: row.period_end,
});

/** The measure of a forecast as its state holds it. */
export function measureOf(tenantId: string, state: ForecastState): ForecastMeasure | undefined {
  return state.exists ? { tenantId, ...state } : undefined;
}

export async function createForecast(app: AppContext, caller: Caller, input: CreateForecastInput): Promise<ForecastResult> {
  const ownerId = input.ownerId ?? caller.access.actorId;
  return app.execute(forecastAggregate, on(caller, input.forecastId), {
    type: 'CreateForecast',
    ...input,
    period: input.period.code,
    dealScope: forecastDealReach(caller.access, ownerId),
  });
}

/** Records a snapshot of the forecast's pipeline by stage (seed 004 forecast.updated). */
export async function snapshotForecast(app: AppContext, caller: Caller, forecastId: string): Promise<ForecastResult> {
  // The measure comes from the stream (strongly consistent), not from the read model.
  const { state } = await loadReadable(app.store, caller.access, forecastAggregate, forecastId, 'Forecast');
  if (!state.exists) throw notFound(`Forecast ${forecastId} not found`, { id: forecastId });
  const figures = await forecastPipeline(app, { tenantId: caller.access.tenantId, ...state });
  return app.execute(forecastAggregate, on(caller, forecastId), snapshotCommand(figures));
}

/** A snapshot of these pipeline figures; `trigger`: the event that called for it (a refresh). */
export function snapshotCommand(figures: Pipeline, trigger?: string): ForecastCommand {
  return {
    type: 'SubmitSnapshot',
    pipeline: {
      period: figures.period.code,
      territoryId: figures.territoryId,
      currency: figures.currency,
      probabilityWeightedAmount: figures.summary.weightedAmount,
      breakdown: figures.byStage.map((s) => ({ stage: s.stage, count: s.count, totalAmount: s.totalAmount, weightedAmount: s.weightedAmount })),
    },
    ...(trigger !== undefined ? { trigger } : {}),
  };
}

export const adjustForecast = (app: AppContext, caller: Caller, forecastId: string, input: { amount: Amount; reason: string }) =>
  app.execute(forecastAggregate, on(caller, forecastId), { type: 'AdjustForecast', ...input });

export const lockForecast = (app: AppContext, caller: Caller, forecastId: string, reason?: string) =>
  app.execute(forecastAggregate, on(caller, forecastId), { type: 'LockForecast', ...(reason ? { reason } : {}) });

export const reassignForecast = (app: AppContext, caller: Caller, forecastId: string, input: { ownerId: string; reason?: string }) =>
  app.execute(forecastAggregate, on(caller, forecastId), { type: 'ReassignForecast', ...input });
