import { salesMetricsFor, winLossFor } from '../../projections/analyticsQueries.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { pipelineFor } from '../../projections/pipelineQueries.js';
import { salesAnalyticsProjection } from '../../projections/salesAnalytics.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Endpoint, endpoint } from '../endpoint.js';
import { pipelineDto } from '../render/pipeline.js';
import { analyticsQuery, pipelineQuery } from '../requests/pipeline.js';
import { pipelineBody, salesMetricsBody, winLossBody } from '../responses/opportunities.js';

const read = ['opportunity', 'read'] as const;

/**
 * Figures over opportunities: the pipeline (seed 004), win/loss and sales metrics, each over the
 * deals the caller may see. The pipeline comes before /opportunities/{id}, which would take
 * "pipeline" for an id.
 */
export const pipelineEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'get',
    path: '/api/v1/opportunities/pipeline',
    summary: 'Open pipeline of a period per stage, in one currency, over the deals the caller may see (read model); as_of: as it stood then, stage set included',
    access: read,
    query: pipelineQuery,
    success: 200,
    response: pipelineBody,
    handle: async (call) => {
      if (!call.query.asOf) await readYourWrites(call, opportunitiesProjection.name);
      const p = await pipelineFor(call.deps, call.access, call.query);
      return { body: { ...pipelineDto(p), ...(call.query.asOf ? { as_of: call.query.asOf.toISOString() } : {}) } };
    },
  }),
  endpoint({
    method: 'get',
    path: '/api/v1/analytics/win-loss',
    summary: 'Win rate by count and value, by owner, month and loss reason',
    access: read,
    query: analyticsQuery,
    success: 200,
    response: winLossBody,
    handle: async (call) => {
      await readYourWrites(call, opportunitiesProjection.name);
      return { body: await winLossFor(call.deps.db, call.access, call.query) };
    },
  }),
  endpoint({
    method: 'get',
    path: '/api/v1/analytics/sales-metrics',
    summary: 'Average deal size, sales cycle, stage conversion, time in stage, slipped deals',
    access: read,
    query: analyticsQuery,
    success: 200,
    response: salesMetricsBody,
    handle: async (call) => {
      await readYourWrites(call, opportunitiesProjection.name, salesAnalyticsProjection.name);
      return { body: await salesMetricsFor(call.deps, call.access, call.query) };
    },
  }),
];
