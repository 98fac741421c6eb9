import { Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { StageSet } from '../../aggregates/pipelineStage/stages.js';
import { opportunityAggregate } from '../../aggregates/opportunity/index.js';
import { readModelAsOf } from '../../compliance/asOf.js';
import type { EventStore } from '../../eventstore/port.js';
import { tenantStreamPrefix } from '../../eventstore/streams.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { DEFAULT_PIPELINE_CURRENCY, type Pipeline, pipeline } from '../../projections/pipelineQueries.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { PERIOD_RULE, type Period, parsePeriod } from '../../shared/period.js';
import { scopeFor } from '../../access/policy.js';
import { accessOf } from '../auth.js';
import { awaitReadModel } from '../consistency.js';
import { currency, id, minPosition, userId } from '../fields.js';
import type { ApiRoute } from '../openapi.js';
import { pipelineBody } from '../responses/opportunities.js';

export interface PipelineRouteDeps {
  readonly db: Knex;
  readonly store: EventStore;
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
  owner_id: userId.optional(),
  territory_id: id.optional(),
  currency: currency.default(DEFAULT_PIPELINE_CURRENCY),
  min_position: minPosition,
  /** The pipeline as it stood then: an instant, or a date (its end, UTC). */
  as_of: z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO-8601 instant or a date YYYY-MM-DD' })
    .transform((v) => new Date(v.length === 10 ? `${v}T23:59:59.999Z` : v))
    .optional(),
});

/** Seed 004's pipeline shape in snake_case, plus the currency, period bounds and excluded currencies. */
export function pipelineDto(p: Pipeline): z.input<typeof pipelineBody> {
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
    const access = accessOf(res);
    const { tenantId } = access;
    // The past is a replay of the tenant's log: for those who audit or manage (the policy's "replay").
    const owners = scopeFor(access, 'opportunity', q.owner_id, q.as_of ? 'replay' : 'read');
    const stages = await deps.stageSetFor(tenantId);
    const filters = {
      owners,
      period: q.period,
      currency: q.currency,
      ...(q.owner_id ? { ownerId: q.owner_id } : {}),
      ...(q.territory_id ? { territoryId: q.territory_id } : {}),
    };
    if (q.as_of) {
      // Compliance: the same query over the opportunities read model replayed from the log up
      // to that moment (temporary tables, rolled back). Probabilities are today's stage set's.
      const source = { filter: { streamPrefixes: [tenantStreamPrefix(opportunityAggregate.category, tenantId)] } };
      const past = await readModelAsOf(deps, opportunitiesProjection, source, { at: q.as_of }, (trx) => pipeline(trx, tenantId, stages, filters));
      res.json({ ...pipelineDto(past), as_of: q.as_of.toISOString() });
      return;
    }
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    res.json(pipelineDto(await pipeline(deps.db, tenantId, stages, filters)));
  });
  return r;
}

export const pipelineApi: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/api/v1/opportunities/pipeline',
    summary: 'Open pipeline of a period per stage, in one currency (read model)',
    query: pipelineQuery,
    success: 200, response: pipelineBody, access: ['opportunity', 'read'],
  },
];
