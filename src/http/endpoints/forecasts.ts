import type { z } from 'zod';
import { forecastAggregate } from '../../aggregates/forecast/index.js';
import type { Caller } from '../../commands/context.js';
import {
  type ForecastResult,
  adjustForecast,
  coverage,
  createForecast,
  forecastOutcome,
  forecastPipeline,
  lockForecast,
  measureOf,
  rowMeasure,
  reassignForecast,
  snapshotForecast,
} from '../../commands/forecasts.js';
import { forecastsFor, getForecast, listSnapshots } from '../../projections/forecastQueries.js';
import { forecastsProjection } from '../../projections/forecasts.js';
import { pipelineCoverage } from '../../projections/pipelineQueries.js';
import { quotaOfForecast } from '../../projections/quotaQueries.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { commandReply, etagOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { asOfQuery } from '../fields.js';
import { sendHistory } from '../history.js';
import { readRow } from '../readRow.js';
import { forecastDto, recordedSnapshot, renderForecast, snapshotDto } from '../render/forecasts.js';
import { forecastQuotaDto } from '../render/quotas.js';
import {
  adjustBody,
  createForecastBody,
  listForecastsQuery,
  lockBody,
  reassignForecastBody,
  snapshotBody,
  snapshotsQuery,
} from '../requests/forecasts.js';
import { historyBody } from '../responses/common.js';
import { forecastDetailBody, forecastPage, forecastPeriodPage, forecastResult, snapshotsPage } from '../responses/forecasts.js';

const BASE = '/api/v1/forecasts';
const write = ['forecast', 'write'] as const;
const read = ['forecast', 'read'] as const;
/** How many recent snapshots the detail embeds; the rest are at /{id}/snapshots. */
const DETAIL_SNAPSHOTS = 20;

const toCoverage = (c: ReturnType<typeof coverage>) => ({ current_pipeline: c.currentPipeline, pipeline_coverage: c.pipelineCoverage });

const onForecast = (call: Call<unknown, unknown, ApiDeps>, run: (caller: Caller) => Promise<ForecastResult>, status: 200 | 201 = 200, render: (r: ForecastResult) => object | Promise<object> = renderForecast) =>
  commandReply(call, { aggregate: forecastAggregate, aggregateId: call.params.id!, status, run, render });

async function list(call: Call<unknown, unknown, ApiDeps>, q: z.output<typeof listForecastsQuery>) {
  await readYourWrites(call, forecastsProjection.name);
  const filters = { period: q.period?.code, territoryId: q.territory_id, ownerId: q.owner_id, forecastType: q.forecast_type, status: q.status };
  const { rows, total } = await forecastsFor(call.deps.db, call.access, filters, q);
  return paged(rows.map(forecastDto), total, q);
}

/** Forecasts (seed 004): created against the pipeline they measure, adjusted, snapshotted, locked. */
export const forecastEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'post',
    path: BASE,
    summary: 'Create a forecast; answers with the pipeline it measures and its coverage',
    access: write,
    body: createForecastBody,
    success: 201,
    response: forecastResult,
    handle: async (call) => {
      // X-Min-Position lets a client see its own opportunity writes in current_pipeline.
      await readYourWrites(call, opportunitiesProjection.name);
      const id = call.body.forecastId;
      await commandReply(call, {
        aggregate: forecastAggregate,
        aggregateId: id,
        status: 201,
        location: `${BASE}/${encodeURIComponent(id)}`,
        run: (caller) => createForecast(call.deps, caller, call.body),
        render: async (result) => {
          const measure = measureOf(call.access.tenantId, result.state);
          const figures = measure && coverage(await forecastPipeline(call.deps, measure), result.state.exists ? result.state.amount : '0');
          const quota = measure ? { quota: forecastQuotaDto(await quotaOfForecast(call.deps, call.access, measure)) } : {};
          return { ...renderForecast(result), notes: call.body.notes ?? null, ...(figures ? toCoverage(figures) : {}), ...quota, created_at: result.events[0]?.timestamp ?? null };
        },
      });
    },
  }),
  endpoint({
    method: 'get',
    path: BASE,
    summary: 'List the forecasts the caller may see (read model)',
    access: read,
    query: listForecastsQuery,
    success: 200,
    response: forecastPage,
    handle: async (call) => ({ body: await list(call, call.query) }),
  }),
  // Seed 004's "GET /forecasts/:period" would clash with GET /forecasts/{id} (an id may look like
  // Q1_2026), so the period lookup has its own segment; ?period= on the list does the same.
  endpoint({
    method: 'get',
    path: `${BASE}/period/{period}`,
    summary: 'Forecasts of a period (seed 004 "Forecast for period")',
    access: read,
    query: listForecastsQuery.omit({ period: true }),
    success: 200,
    response: forecastPeriodPage,
    handle: async (call) => {
      const q = listForecastsQuery.parse({ ...call.req.query, period: call.params.period });
      return { body: { period: q.period!.code, ...(await list(call, q)) } };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}`,
    summary: 'One forecast with the pipeline it measures and recent snapshots; as_of / as_of_revision: as it was then',
    access: read,
    query: asOfQuery,
    success: 200,
    response: forecastDetailBody,
    handle: async (call) => {
      // As it stood then: the forecast and its snapshots from its stream; live figures are omitted.
      const get = async (db: Parameters<typeof getForecast>[0], tenant: string, forecastId: string) => {
        const row = await getForecast(db, tenant, forecastId);
        return row ? { row, snapshots: await listSnapshots(db, tenant, forecastId, { limit: DETAIL_SNAPSHOTS, offset: 0 }) } : undefined;
      };
      const found = await readRow(call, { aggregate: forecastAggregate, projection: forecastsProjection, label: 'Forecast', moment: call.query, get, ownerOf: (r) => r.row.owner_id });
      const headers = { ETag: etagOf(found.row.revision) };
      if (call.query) return { headers, body: { ...forecastDto(found.row), snapshots: found.snapshots.rows.map(snapshotDto) } };
      const measure = rowMeasure(found.row);
      const [figures, outcome, quota] = await Promise.all([
        forecastPipeline(call.deps, measure),
        forecastOutcome(call.deps, measure, new Date()),
        quotaOfForecast(call.deps, call.access, { ownerId: found.row.owner_id, territoryId: found.row.territory_id, period: found.row.period }),
      ]);
      return {
        headers,
        body: {
          ...forecastDto(found.row),
          ...toCoverage(coverage(figures, found.row.amount)),
          quota: forecastQuotaDto(quota),
          outcome: outcome ? { actual_won_count: outcome.actual.count, actual_won_amount: outcome.actual.amount, ...outcome.accuracyOf(found.row.amount) } : null,
          snapshots: found.snapshots.rows.map((s) => ({ ...snapshotDto(s), accuracy: accuracy(outcome, s) })),
        },
      };
    },
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/adjust`,
    summary: 'Adjust the amount, with a reason',
    access: write,
    body: adjustBody,
    success: 200,
    response: forecastResult,
    ifMatch: true,
    handle: (call) => onForecast(call, (caller) => adjustForecast(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/snapshots`,
    summary: 'Record a snapshot of the pipeline the forecast measures, by stage',
    access: write,
    body: snapshotBody,
    success: 201,
    response: forecastResult,
    ifMatch: true,
    handle: async (call) => {
      await readYourWrites(call, opportunitiesProjection.name);
      await onForecast(call, (caller) => snapshotForecast(call.deps, caller, call.params.id!), 201, (result) => {
        const snapshot = recordedSnapshot(result);
        const amount = result.state.exists ? result.state.amount : '0';
        return {
          ...renderForecast(result),
          snapshot,
          ...(snapshot ? toCoverage({ currentPipeline: snapshot.total_amount, pipelineCoverage: pipelineCoverage(snapshot.total_amount, amount) }) : {}),
        };
      });
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/snapshots`,
    summary: "The forecast's snapshots, newest first",
    access: read,
    query: snapshotsQuery,
    success: 200,
    response: snapshotsPage,
    handle: async (call) => {
      const q = call.query;
      const forecast = await readRow(call, { aggregate: forecastAggregate, projection: forecastsProjection, label: 'Forecast', moment: undefined, get: getForecast, ownerOf: (r) => r.owner_id });
      const [{ rows, total }, outcome] = await Promise.all([
        listSnapshots(call.deps.db, call.access.tenantId, forecast.forecast_id, q),
        forecastOutcome(call.deps, rowMeasure(forecast), new Date()),
      ]);
      return {
        body: {
          id: forecast.forecast_id,
          outcome: outcome ? { actual_won_count: outcome.actual.count, actual_won_amount: outcome.actual.amount, ...outcome.accuracyOf(forecast.amount) } : null,
          ...paged(rows.map((s) => ({ ...snapshotDto(s), accuracy: accuracy(outcome, s) })), total, q),
        },
      };
    },
  }),
  endpoint({
    method: 'put',
    path: `${BASE}/{id}/owner`,
    summary: 'Reassign to another owner (a manager within its team, an admin anywhere)',
    access: write,
    body: reassignForecastBody,
    success: 200,
    response: forecastResult,
    ifMatch: true,
    handle: (call) => onForecast(call, (caller) => reassignForecast(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/lock`,
    summary: 'Lock the forecast (period closed)',
    access: write,
    body: lockBody,
    success: 200,
    response: forecastResult,
    ifMatch: true,
    handle: (call) => onForecast(call, (caller) => lockForecast(call.deps, caller, call.params.id!, call.body.reason)),
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/history`,
    summary: 'Audit trail of the forecast, from its stream',
    access: read,
    success: 200,
    response: historyBody,
    handle: (call) => sendHistory(call.res, call.deps.store, { aggregate: forecastAggregate, aggregateId: call.params.id!, label: 'Forecast' }),
  }),
];

type Outcome = Awaited<ReturnType<typeof forecastOutcome>>;
const accuracy = (outcome: Outcome, s: { amount: string; probability_weighted_amount: string }) =>
  outcome ? { amount: outcome.accuracyOf(s.amount), probability_weighted_amount: outcome.accuracyOf(s.probability_weighted_amount) } : null;
