import { Router } from 'express';
import { z } from 'zod';
import type { StageSet } from '../../aggregates/pipelineStage/stages.js';
import { salesMetrics, winLoss } from '../../projections/analyticsQueries.js';
import { salesAnalyticsProjection } from '../../projections/salesAnalytics.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { requirePeriod } from '../../shared/period.js';
import type { Knex } from 'knex';
import { scopeFor } from '../../access/policy.js';
import { accessOf } from '../auth.js';
import { awaitReadModel } from '../consistency.js';
import { currency, minPosition, userId } from '../fields.js';
import type { ApiRoute } from '../openapi.js';
import { salesMetricsBody, winLossBody } from '../responses/opportunities.js';

export const analyticsQuery = z.object({
  period: z.string().trim().min(1).optional(),
  owner_id: userId.optional(),
  currency: currency.default('USD'),
  min_position: minPosition,
});

export interface AnalyticsRouteDeps {
  readonly db: Knex;
  readonly runner: ProjectionRunner;
  readonly stageSetFor: (tenantId: string) => Promise<StageSet>;
  readonly maxConsistencyWaitMs: number;
}

/** Win/loss and sales metrics (read models only; see projections/analyticsQueries.ts). */
export function analyticsRoutes(deps: AnalyticsRouteDeps): Router {
  const r = Router();
  const filters = (query: unknown, res: Parameters<typeof accessOf>[0]) => {
    const q = analyticsQuery.parse(query);
    return {
      owners: scopeFor(accessOf(res), 'opportunity', q.owner_id),
      ...(q.period ? { period: requirePeriod(q.period) } : {}),
      ...(q.owner_id ? { ownerId: q.owner_id } : {}),
      currency: q.currency,
    };
  };
  r.get('/win-loss', async (req, res) => {
    const f = filters(req.query, res);
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    res.json(await winLoss(deps.db, accessOf(res).tenantId, f));
  });
  r.get('/sales-metrics', async (req, res) => {
    const f = filters(req.query, res);
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    await awaitReadModel(req, res, deps.runner, salesAnalyticsProjection.name, deps.maxConsistencyWaitMs);
    const { tenantId } = accessOf(res);
    res.json(await salesMetrics(deps.db, tenantId, f, await deps.stageSetFor(tenantId)));
  });
  return r;
}

export const analyticsApi: readonly ApiRoute[] = [
  { method: 'get', path: '/api/v1/analytics/win-loss', summary: 'Win rate by count and value, by owner, month and loss reason', query: analyticsQuery, success: 200, response: winLossBody, access: ['opportunity', 'read'] },
  { method: 'get', path: '/api/v1/analytics/sales-metrics', summary: 'Average deal size, sales cycle, stage conversion, time in stage, slipped deals', query: analyticsQuery, success: 200, response: salesMetricsBody, access: ['opportunity', 'read'] },
];
