import { Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { StageSet } from '../../aggregates/pipelineStage/stages.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { DEFAULT_PIPELINE_CURRENCY, type Pipeline, pipeline } from '../../projections/pipelineQueries.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { PERIOD_RULE, type Period, parsePeriod } from '../../shared/period.js';
import { identityOf } from '../auth.js';
import { awaitReadModel } from '../consistency.js';
import { currency, id } from '../fields.js';
import type { ApiRoute } from '../openapi.js';

export interface PipelineRouteDeps {
  readonly db: Knex;
  readonly runner: ProjectionRunner;
  readonly stageSetFor: (tenantId: string) => Promise<StageSet>;
  readonly maxConsistencyWaitMs: number;
}

/** A period code in any accepted spelling, parsed to its canonical Period. */
export const periodField = z
  .string({ error: `must be ${PERIOD_RULE}` })
  .transform((text, ctx): Period => {
    const period = parsePeriod(text);
    if (!period) {
      ctx.addIssue({ code: 'custom', message: `must be ${PERIOD_RULE}` });
      return z.NEVER;
    }
    return period;
  })
  .meta({ type: 'string', example: 'Q1_2026', description: PERIOD_RULE });

export const pipelineQuery = z.object({
  period: periodField,
  owner_id: id.optional(),
  territory_id: id.optional(),
  currency: currency.default(DEFAULT_PIPELINE_CURRENCY),
  min_position: z.string().optional(),
});

/** Seed 004's pipeline shape in snake_case, plus the currency, period bounds and excluded currencies. */
export function pipelineDto(p: Pipeline) {
  return {
    period: p.period.code,
    period_start: p.period.start,
    period_end: p.period.last,
    owner_id: p.ownerId,
    territory_id: p.territoryId,
    currency: p.currency,
    summary: {
      total_count: p.summary.totalCount,
      total_amount: p.summary.totalAmount,
      weighted_amount: p.summary.weightedAmount,
    },
    by_stage: p.byStage.map((s) => ({
      stage: s.stage,
      count: s.count,
      total_amount: s.totalAmount,
      probability: s.probability,
      weighted_amount: s.weightedAmount,
    })),
    other_currencies: p.otherCurrencies.map((o) => ({ currency: o.currency, count: o.count, total_amount: o.totalAmount })),
  };
}

/**
 * GET /api/v1/opportunities/pipeline. Mounted at that path BEFORE the opportunities router,
 * whose GET /:id would otherwise take "pipeline" for an opportunity id.
 */
export function pipelineRoutes(deps: PipelineRouteDeps): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const q = pipelineQuery.parse(req.query);
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    const { tenantId } = identityOf(res);
    const figures = await pipeline(deps.db, tenantId, await deps.stageSetFor(tenantId), {
      period: q.period,
      currency: q.currency,
      ...(q.owner_id ? { ownerId: q.owner_id } : {}),
      ...(q.territory_id ? { territoryId: q.territory_id } : {}),
    });
    res.json(pipelineDto(figures));
  });
  return r;
}

export const pipelineApi: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/api/v1/opportunities/pipeline',
    summary: 'Open pipeline of a period per stage, in one currency (read model)',
    query: pipelineQuery,
    success: 200,
  },
];
