import { randomUUID } from 'node:crypto';
import BigNumber from 'bignumber.js';
import { type Request, type Response, Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import {
  type ForecastSnapshotCreated,
  type ForecastState,
  FORECAST_TYPES,
  type ForecastType,
  forecastAggregate,
  normaliseForecastType,
} from '../../aggregates/forecast/index.js';
import type { StageSet } from '../../aggregates/pipelineStage/stages.js';
import type { CommandResult } from '../../commands/handler.js';
import type { StoredEvent } from '../../eventstore/envelope.js';
import { type OwnerScope, forecastDealReach, requireOwnerInScope, scopeFor } from '../../access/policy.js';
import type { DealScope } from '../../aggregates/forecast/events.js';
import { forecastOwners, forecastPipeline } from '../../commands/forecast/forecastPipeline.js';
import { loadReadable } from '../../commands/load.js';
import { streamName } from '../../eventstore/streams.js';
import { readModelAsOf } from '../../compliance/asOf.js';
import { type ForecastRow, type SnapshotRow, getForecast, listForecasts, listSnapshots } from '../../projections/forecastQueries.js';
import { forecastsProjection } from '../../projections/forecasts.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { type Pipeline, forecastAccuracy, pipelineCoverage, wonInPeriod } from '../../projections/pipelineQueries.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { snakeKeys } from '../../shared/case.js';
import { notFound } from '../../shared/errors.js';
import { formatAmount } from '../../shared/money.js';
import { requirePeriod } from '../../shared/period.js';
import { accessOf, can } from '../auth.js';
import { type CommandRouteDeps, etagOf, runCommand } from '../commandReply.js';
import { awaitReadModel } from '../consistency.js';
import { sendHistory } from '../history.js';
import { amount, asOfQuery, currency, id, pagination, text, minPosition, userId, periodField } from '../fields.js';
import type { ApiRoute } from '../openapi.js';

import { type Unwritten, historyBody } from '../responses/common.js';
import { forecastBody, forecastDetailBody, forecastPage, forecastPeriodPage, forecastResult, snapshotBody as snapshotResponse, snapshotsPage } from '../responses/forecasts.js';

export interface ForecastRouteDeps extends CommandRouteDeps {
  readonly runner: ProjectionRunner;
  readonly stageSetFor: (tenantId: string) => Promise<StageSet>;
  readonly maxConsistencyWaitMs: number;
}

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
  .refine((b) => !(b.id && b.forecast_id && b.id !== b.forecast_id), { message: 'id and forecast_id differ', path: ['id'] });

export const adjustBody = z.strictObject({ amount, reason: text(500) });
export const snapshotBody = z.strictObject({});
export const lockBody = z.strictObject({ reason: text(500).optional() });
export const reassignForecastBody = z.strictObject({ owner_id: userId, reason: text(500).optional() });

export const listForecastsQuery = pagination.extend({
  period: periodField.optional(),
  territory_id: id.optional(),
  owner_id: userId.optional(),
  forecast_type: forecastType.optional(),
  status: z.enum(['open', 'locked']).optional(),
  min_position: minPosition,
});

const snapshotsQuery = pagination.extend({ min_position: minPosition });
/** How many recent snapshots the detail embeds; the rest are at /:id/snapshots. */
const DETAIL_SNAPSHOTS = 20;

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

export function snapshotDto(row: SnapshotRow): z.input<typeof snapshotResponse> {
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

/**
 * Once the forecast's period is over (its last day before today, UTC): what was actually won
 * in its scope, and how accurate the forecast and each snapshot were. Null while it runs.
 */
async function outcomeOf(db: Knex, tenantId: string, row: ForecastRow, now: Date, owners: OwnerScope) {
  if (row.period_end >= now.toISOString().slice(0, 10)) return { outcome: null, accuracyOf: () => null };
  const actual = await wonInPeriod(db, tenantId, {
    owners,
    period: requirePeriod(row.period),
    currency: row.currency.trim(),
    ...(row.territory_id !== null ? { territoryId: row.territory_id } : {}),
  });
  return {
    outcome: { actual_won_count: actual.count, actual_won_amount: actual.amount, ...forecastAccuracy(row.amount, actual.amount) },
    accuracyOf: (s: SnapshotRow) => ({
      amount: forecastAccuracy(s.amount, actual.amount),
      probability_weighted_amount: forecastAccuracy(s.probability_weighted_amount, actual.amount),
    }),
  };
}

/** The pipeline a forecast is measured against, and its coverage of the forecast's amount. */
function coverageOf(p: Pipeline, forecastAmount: string) {
  return { current_pipeline: p.summary.totalAmount, pipeline_coverage: pipelineCoverage(p.summary.totalAmount, forecastAmount) };
}

/** The command's outcome, from the aggregate's own state (the read model may lag). */
function renderState(result: CommandResult<ForecastState>): Unwritten<typeof forecastResult> {
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

export function forecastRoutes(deps: ForecastRouteDeps): Router {
  const r = Router();

  /** The pipeline of a forecast row (the read model keeps its deal scope; older rows measured all). */
  const rowPipeline = (row: ForecastRow) =>
    forecastPipeline(deps, {
      tenantId: row.tenant_id,
      ownerId: row.owner_id,
      dealScope: (row.deal_scope ?? 'all') as DealScope,
      period: row.period,
      territoryId: row.territory_id,
      currency: row.currency.trim(),
    });
  const rowOwners = (row: ForecastRow) => forecastOwners(deps, { tenantId: row.tenant_id, ownerId: row.owner_id, dealScope: (row.deal_scope ?? 'all') as DealScope });

  r.post('/', can('forecast', 'write'), async (req, res) => {
    const b = createForecastBody.parse(req.body ?? {});
    const access = accessOf(res);
    // X-Min-Position lets a client see its own opportunity writes in current_pipeline.
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    const forecastId = b.id ?? b.forecast_id ?? randomUUID();
    const ownerId = b.owner_id ?? access.actorId;
    const dealScope = forecastDealReach(access, ownerId);
    const figures = await forecastPipeline(deps, { tenantId: access.tenantId, ownerId, dealScope, period: b.period, territoryId: b.territory_id ?? null, currency: b.currency });
    await runCommand(deps, req, res, {
      aggregate: forecastAggregate,
      aggregateId: forecastId,
      status: 201,
      location: `${req.baseUrl}/${encodeURIComponent(forecastId)}`,
      command: {
        type: 'CreateForecast',
        forecastId,
        period: b.period.code,
        ...(b.territory_id ? { territoryId: b.territory_id } : {}),
        ...(b.owner_id ? { ownerId: b.owner_id } : {}),
        forecastType: b.forecast_type,
        amount: b.amount,
        currency: b.currency,
        ...(b.notes ? { notes: b.notes } : {}),
        dealScope,
      },
      render: (result) => ({
        ...renderState(result),
        notes: b.notes ?? null,
        ...coverageOf(figures, b.amount),
        created_at: result.events[0]?.timestamp ?? null,
      }),
    });
  });

  r.post('/:id/adjust', can('forecast', 'write'), async (req, res) => {
    const b = adjustBody.parse(req.body ?? {});
    const forecastId = id.parse(req.params.id);
    await runCommand(deps, req, res, {
      aggregate: forecastAggregate,
      aggregateId: forecastId,
      status: 200,
      command: { type: 'AdjustForecast', amount: b.amount, reason: b.reason },
      render: renderState,
    });
  });

  r.post('/:id/snapshots', can('forecast', 'write'), async (req, res) => {
    snapshotBody.parse(req.body ?? {});
    const forecastId = id.parse(req.params.id);
    const access = accessOf(res);
    // The scope comes from the stream (strongly consistent), not from the read model.
    const { state } = await loadReadable(deps.store, access, forecastAggregate, forecastId, 'Forecast');
    if (!state.exists) throw notFound(`Forecast ${forecastId} not found`, { id: forecastId });
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    const figures = await forecastPipeline(deps, { tenantId: access.tenantId, ...state });
    await runCommand(deps, req, res, {
      aggregate: forecastAggregate,
      aggregateId: forecastId,
      status: 201,
      command: {
        type: 'SubmitSnapshot',
        pipeline: {
          period: figures.period.code,
          territoryId: figures.territoryId,
          currency: figures.currency,
          probabilityWeightedAmount: figures.summary.weightedAmount,
          breakdown: figures.byStage.map((s) => ({
            stage: s.stage,
            count: s.count,
            totalAmount: s.totalAmount,
            weightedAmount: s.weightedAmount,
          })),
        },
      },
      render: (result) => {
        const event = result.events.at(-1) as StoredEvent<ForecastSnapshotCreated> | undefined;
        // The snapshot as recorded (a recovered retry answers with the event it wrote back then).
        const breakdown = event?.payload.breakdown ?? [];
        return {
          ...renderState(result),
          snapshot: event
            ? {
                id: event.eventId,
                ...(snakeKeys(event.payload) as Record<string, unknown>),
                total_count: breakdown.reduce((n, s) => n + s.count, 0),
                total_amount: formatAmount(breakdown.reduce((a, s) => a.plus(s.totalAmount), new BigNumber(0))),
              }
            : null,
          ...coverageOf(figures, result.state.exists ? result.state.amount : '0'),
        };
      },
    });
  });

  r.put('/:id/owner', can('forecast', 'write'), async (req, res) => {
    const b = reassignForecastBody.parse(req.body ?? {});
    const forecastId = id.parse(req.params.id);
    await runCommand(deps, req, res, {
      aggregate: forecastAggregate,
      aggregateId: forecastId,
      status: 200,
      command: { type: 'ReassignForecast', ownerId: b.owner_id, ...(b.reason ? { reason: b.reason } : {}) },
      render: renderState,
    });
  });

  r.post('/:id/lock', can('forecast', 'write'), async (req, res) => {
    const b = lockBody.parse(req.body ?? {});
    const forecastId = id.parse(req.params.id);
    await runCommand(deps, req, res, {
      aggregate: forecastAggregate,
      aggregateId: forecastId,
      status: 200,
      command: { type: 'LockForecast', ...(b.reason ? { reason: b.reason } : {}) },
      render: renderState,
    });
  });

  async function list(req: Request, res: Response, query: z.infer<typeof listForecastsQuery>) {
    const access = accessOf(res);
    const owners = scopeFor(access, 'forecast', query.owner_id);
    await awaitReadModel(req, res, deps.runner, forecastsProjection.name, deps.maxConsistencyWaitMs);
    const { rows, total } = await listForecasts(
      deps.db,
      access.tenantId,
      {
        owners,
        ...(query.period ? { period: query.period.code } : {}),
        ...(query.territory_id ? { territoryId: query.territory_id } : {}),
        ...(query.owner_id ? { ownerId: query.owner_id } : {}),
        ...(query.forecast_type ? { forecastType: query.forecast_type } : {}),
        ...(query.status ? { status: query.status } : {}),
      },
      { limit: query.limit, offset: query.offset },
    );
    return {
      data: rows.map(forecastDto),
      pagination: { total, limit: query.limit, offset: query.offset, has_more: query.offset + rows.length < total },
    };
  }

  r.get('/', async (req, res) => {
    res.json(await list(req, res, listForecastsQuery.parse(req.query)));
  });

  // Seed 004's "GET /forecasts/:period" would clash with GET /forecasts/:id (an id may look like
  // Q1_2026), so the period lookup has its own segment; ?period= on the list does the same.
  r.get('/period/:period', async (req, res) => {
    const query = listForecastsQuery.parse({ ...req.query, period: req.params.period });
    const page = await list(req, res, query);
    res.json({ period: query.period!.code, ...page });
  });

  r.get('/:id', async (req, res) => {
    const forecastId = id.parse(req.params.id);
    const access = accessOf(res);
    const { tenantId } = access;
    const moment = asOfQuery.parse(req.query);
    if (moment) {
      await loadReadable(deps.store, access, forecastAggregate, forecastId, 'Forecast');
      // As it stood then (forecast and its snapshots), from its stream; live figures are omitted.
      const streamId = streamName({ category: forecastAggregate.category, tenantId, aggregateId: forecastId });
      const past = await readModelAsOf(deps, forecastsProjection, { streamId }, moment, async (trx) => {
        const row = await getForecast(trx, tenantId, forecastId);
        return row ? { row, snapshots: await listSnapshots(trx, tenantId, forecastId, { limit: DETAIL_SNAPSHOTS, offset: 0 }) } : undefined;
      });
      if (!past) throw notFound(`Forecast ${forecastId} did not exist at that moment`, { id: forecastId });
      res.setHeader('ETag', etagOf(past.row.revision));
      res.json({ ...forecastDto(past.row), snapshots: past.snapshots.rows.map(snapshotDto) });
      return;
    }
    await awaitReadModel(req, res, deps.runner, forecastsProjection.name, deps.maxConsistencyWaitMs);
    const row = await getForecast(deps.db, tenantId, forecastId);
    if (!row) throw notFound(`Forecast ${forecastId} not found`, { id: forecastId });
    requireOwnerInScope(access, 'forecast', 'read', row.owner_id);
    const [figures, snapshots, result] = await Promise.all([
      rowPipeline(row),
      listSnapshots(deps.db, tenantId, forecastId, { limit: DETAIL_SNAPSHOTS, offset: 0 }),
      outcomeOf(deps.db, tenantId, row, new Date(), await rowOwners(row)),
    ]);
    res.setHeader('ETag', etagOf(row.revision));
    res.json({
      ...forecastDto(row),
      ...coverageOf(figures, row.amount),
      outcome: result.outcome,
      snapshots: snapshots.rows.map((s) => ({ ...snapshotDto(s), accuracy: result.accuracyOf(s) })),
    });
  });

  r.get('/:id/snapshots', async (req, res) => {
    const forecastId = id.parse(req.params.id);
    const q = snapshotsQuery.parse(req.query);
    await awaitReadModel(req, res, deps.runner, forecastsProjection.name, deps.maxConsistencyWaitMs);
    const access = accessOf(res);
    const { tenantId } = access;
    const forecast = await getForecast(deps.db, tenantId, forecastId);
    if (!forecast) throw notFound(`Forecast ${forecastId} not found`, { id: forecastId });
    requireOwnerInScope(access, 'forecast', 'read', forecast.owner_id);
    const [{ rows, total }, result] = await Promise.all([
      listSnapshots(deps.db, tenantId, forecastId, { limit: q.limit, offset: q.offset }),
      outcomeOf(deps.db, tenantId, forecast, new Date(), await rowOwners(forecast)),
    ]);
    res.json({
      id: forecastId,
      outcome: result.outcome,
      data: rows.map((s) => ({ ...snapshotDto(s), accuracy: result.accuracyOf(s) })),
      pagination: { total, limit: q.limit, offset: q.offset, has_more: q.offset + rows.length < total },
    });
  });

  r.get('/:id/history', async (req, res) => {
    const aggregateId = id.parse(req.params.id);
    await sendHistory(res, deps.store, { aggregate: forecastAggregate, aggregateId, label: 'Forecast' });
  });

  return r;
}

export const forecastApi: readonly ApiRoute[] = [
  { method: 'post', path: '/api/v1/forecasts', summary: 'Create a forecast; answers with the current pipeline and its coverage', body: createForecastBody, success: 201, response: forecastResult, access: ['forecast', 'write'] },
  { method: 'get', path: '/api/v1/forecasts', summary: 'List forecasts (read model)', query: listForecastsQuery, success: 200, response: forecastPage, access: ['forecast', 'read'] },
  { method: 'get', path: '/api/v1/forecasts/period/{period}', summary: 'Forecasts of a period (seed 004 "Forecast for period")', query: listForecastsQuery.omit({ period: true }), success: 200, response: forecastPeriodPage, access: ['forecast', 'read'] },
  { method: 'get', path: '/api/v1/forecasts/{id}', summary: 'One forecast with its live pipeline coverage (over the deals the caller may see) and recent snapshots; as_of / as_of_revision: as it was then', query: asOfQuery, success: 200, response: forecastDetailBody, access: ['forecast', 'read'] },
  { method: 'post', path: '/api/v1/forecasts/{id}/adjust', summary: 'Adjust the amount, with a reason', body: adjustBody, success: 200, response: forecastResult, access: ['forecast', 'write'], ifMatch: true },
  { method: 'post', path: '/api/v1/forecasts/{id}/snapshots', summary: 'Record a snapshot of the pipeline by stage', body: snapshotBody, success: 201, response: forecastResult, access: ['forecast', 'write'], ifMatch: true },
  { method: 'get', path: '/api/v1/forecasts/{id}/snapshots', summary: "The forecast's snapshots, newest first", query: snapshotsQuery, success: 200, response: snapshotsPage, access: ['forecast', 'read'] },
  { method: 'put', path: '/api/v1/forecasts/{id}/owner', summary: 'Reassign to another owner (a manager within its team, an admin anywhere)', body: reassignForecastBody, success: 200, response: forecastResult, access: ['forecast', 'write'], ifMatch: true },
  { method: 'post', path: '/api/v1/forecasts/{id}/lock', summary: 'Lock the forecast (period closed)', body: lockBody, success: 200, response: forecastResult, access: ['forecast', 'write'], ifMatch: true },
  { method: 'get', path: '/api/v1/forecasts/{id}/history', summary: 'Audit trail of the forecast, from its stream', success: 200, response: historyBody, access: ['forecast', 'read'] },
];
