import BigNumber from 'bignumber.js';
import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { type OwnerScope, scopeFor } from '../access/policy.js';
import { opportunityAggregate } from '../aggregates/opportunity/index.js';
import type { StageSet } from '../aggregates/pipelineStage/stages.js';
import { readModelAsOf, stageSetAsOf } from '../compliance/asOf.js';
import type { EventStore } from '../eventstore/port.js';
import { tenantStreamPrefix } from '../eventstore/streams.js';
import { opportunitiesProjection } from './opportunities.js';
import { type Amount, formatAmount, ratioOf, toBig } from '../shared/money.js';
import { type Period, requirePeriod } from '../shared/period.js';
import { OPPORTUNITIES_TABLE } from './opportunities.js';
import { whereOwnerIn } from './ownerScope.js';

/**
 * The pipeline (seed 004 "Get Opportunity Pipeline"), read from the opportunities read model:
 * OPEN opportunities whose expected close date falls in the period, in one currency, optionally
 * of one owner and/or one territory, summed per stage.
 *
 * Money is exact: PostgreSQL numeric sums, BigNumber for the summary, decimal strings out.
 *
 * Weighting, the one rounding rule used everywhere (this query, forecast snapshots, tests):
 * each opportunity's weighted amount is `amount * probability / 100` with the opportunity's own
 * probability, rounded to cents half-up (PostgreSQL's numeric round(); amounts are never
 * negative, so "half away from zero" is "half up"), and those are summed. Rounding per
 * opportunity makes every figure the exact sum of its parts: summary = Σ stages = Σ deals.
 *
 * `probability` per stage is the stage's default from the tenant's stage set (for reference,
 * as seed 004 shows it); the weighted amounts use each opportunity's own probability, which
 * defaults to the stage's but a rep may set.
 *
 * Currencies are never added together: the query sums one currency (the caller's, USD by
 * default) and reports what it left out in `otherCurrencies`, so nothing disappears silently.
 * Opportunities without an expected close date belong to no period.
 */
export interface PipelineFilters {
  /** A Period or its code (Q1_2026, 2026-03, 2026); a bad code is a VALIDATION_ERROR. */
  readonly period: Period | string;
  /** Whose deals count: the caller's scope by the access policy (one owner, a team, or all). */
  readonly owners: OwnerScope;
  readonly ownerId?: string;
  readonly territoryId?: string;
  /** ISO 4217, upper case; USD when absent. */
  readonly currency?: string;
}

export interface PipelineStageFigures {
  readonly stage: string;
  readonly count: number;
  readonly totalAmount: Amount;
  /** The stage's default probability in the tenant's set; null for a stage the set no longer has. */
  readonly probability: number | null;
  readonly weightedAmount: Amount;
}

export interface Pipeline {
  readonly period: Period;
  readonly ownerId: string | null;
  readonly territoryId: string | null;
  readonly currency: string;
  readonly summary: { readonly totalCount: number; readonly totalAmount: Amount; readonly weightedAmount: Amount };
  /** Every open stage of the set in stage order (zeros included), then any other stage found. */
  readonly byStage: readonly PipelineStageFigures[];
  /** Open opportunities of the same selection in other currencies, not included above. */
  readonly otherCurrencies: readonly { readonly currency: string; readonly count: number; readonly totalAmount: Amount }[];
}

export const DEFAULT_PIPELINE_CURRENCY = 'USD';

/** The weighted amount of one opportunity, by the rule above (for callers that compute in code). */
export function weightedAmountOf(amount: Amount | string, probability: number): Amount {
  return toBig(amount).times(probability).div(100).decimalPlaces(2, BigNumber.ROUND_HALF_UP).toFixed(2) as Amount;
}

const ZERO = '0.00' as Amount;
const sum = (values: readonly string[]): Amount => formatAmount(values.reduce((acc, v) => acc.plus(v), new BigNumber(0)));

interface StageRow {
  currency: string;
  stage: string;
  count: number;
  total_amount: string;
  weighted_amount: string;
}

export async function pipeline(db: Knex, tenantId: string, stages: StageSet, filters: PipelineFilters): Promise<Pipeline> {
  const period = typeof filters.period === 'string' ? requirePeriod(filters.period) : filters.period;
  const currency = filters.currency ?? DEFAULT_PIPELINE_CURRENCY;

  const rows = (await db(OPPORTUNITIES_TABLE)
    .where({ tenant_id: tenantId, status: 'open' })
    .where('expected_close_date', '>=', period.start)
    .where('expected_close_date', '<', period.end)
    .modify((q) => {
      whereOwnerIn(q, filters.owners);
      if (filters.ownerId !== undefined) q.where('owner_id', filters.ownerId);
      if (filters.territoryId !== undefined) q.where('territory_id', filters.territoryId);
    })
    .groupBy('currency', 'stage')
    .select(
      db.raw('trim(currency) as currency'),
      'stage',
      db.raw('count(*)::int as count'),
      db.raw('sum(amount)::text as total_amount'),
      db.raw('sum(round(amount * probability / 100, 2))::text as weighted_amount'),
    )) as StageRow[];

  const mine = rows.filter((r) => r.currency === currency);
  const found = new Map(mine.map((r) => [r.stage, r]));
  const known = [...stages.stages].sort((a, b) => a.order - b.order);
  const knownCodes = new Set(known.map((s) => s.code));

  const byStage: PipelineStageFigures[] = [];
  for (const s of known) {
    const r = found.get(s.code);
    // Every open stage is listed, even empty, so a chart has a stable shape; closed stages only if
    // an open opportunity sits in one (a reconfigured set), which then must not vanish.
    if (s.kind !== 'open' && !r) continue;
    byStage.push({
      stage: s.code,
      count: r?.count ?? 0,
      totalAmount: r ? formatAmount(toBig(r.total_amount)) : ZERO,
      probability: s.probability,
      weightedAmount: r ? formatAmount(toBig(r.weighted_amount)) : ZERO,
    });
  }
  for (const r of mine.filter((x) => !knownCodes.has(x.stage)).sort((a, b) => a.stage.localeCompare(b.stage))) {
    byStage.push({
      stage: r.stage,
      count: r.count,
      totalAmount: formatAmount(toBig(r.total_amount)),
      probability: null,
      weightedAmount: formatAmount(toBig(r.weighted_amount)),
    });
  }

  const others = new Map<string, { count: number; amounts: string[] }>();
  for (const r of rows.filter((x) => x.currency !== currency)) {
    const o = others.get(r.currency) ?? { count: 0, amounts: [] };
    o.count += r.count;
    o.amounts.push(r.total_amount);
    others.set(r.currency, o);
  }

  return {
    period,
    ownerId: filters.ownerId ?? null,
    territoryId: filters.territoryId ?? null,
    currency,
    summary: {
      totalCount: byStage.reduce((n, s) => n + s.count, 0),
      totalAmount: sum(byStage.map((s) => s.totalAmount)),
      weightedAmount: sum(byStage.map((s) => s.weightedAmount)),
    },
    byStage,
    otherCurrencies: [...others.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, o]) => ({ currency: c, count: o.count, totalAmount: sum(o.amounts) })),
  };
}

/** Rounds a division straight to 2 decimals, half up (no double rounding through 20 places). */
const Ratio = BigNumber.clone({ DECIMAL_PLACES: 2, ROUNDING_MODE: BigNumber.ROUND_HALF_UP });

/**
 * Pipeline coverage: pipeline / target, as a decimal string with 2 decimals rounded half up
 * (the same rule as weighting); null for a target of 0, which no pipeline can "cover" in ratio.
 */
export function pipelineCoverage(pipelineTotal: Amount | string, target: Amount | string): string | null {
  if (toBig(target).isZero()) return null;
  return new Ratio(pipelineTotal).div(target).toFixed(2);
}

/**
 * What was actually won in a period (close date inside it), for forecast accuracy once the
 * period is over. Same scope rules as the pipeline: one currency, territory optional.
 */
export async function wonInPeriod(
  db: Knex,
  tenantId: string,
  scope: { period: Period; territoryId?: string; currency: string; owners: OwnerScope },
): Promise<{ count: number; amount: Amount }> {
  const row = (await db(OPPORTUNITIES_TABLE)
    .where({ tenant_id: tenantId, status: 'won' })
    .modify((q) => whereOwnerIn(q, scope.owners))
    .whereRaw('trim(currency) = ?', [scope.currency])
    .where('close_date', '>=', scope.period.start)
    .where('close_date', '<', scope.period.end)
    .modify((q) => (scope.territoryId ? q.where('territory_id', scope.territoryId) : q))
    .first(db.raw('count(*)::text as n'), db.raw('coalesce(sum(amount), 0)::text as amount'))) as { n: string; amount: string };
  return { count: Number(row.n), amount: formatAmount(toBig(row.amount)) };
}

/**
 * Forecast accuracy against the actual: attainment = actual / forecast, accuracy =
 * 1 - |forecast - actual| / actual (0 at worst), 4-decimal strings rounded half up; null where
 * the divisor is 0.
 */
export function forecastAccuracy(forecast: Amount | string, actual: Amount | string): { attainment: string | null; accuracy: string | null } {
  const f = toBig(forecast);
  const a = toBig(actual);
  return {
    attainment: ratioOf(actual, forecast),
    accuracy: a.isZero() ? null : ratioOf(BigNumber.max(0, new BigNumber(1).minus(f.minus(a).abs().div(a))).toFixed(), '1'),
  };
}

/**
 * The pipeline the caller may see: its own deals (rep), its teams' (manager), the tenant's
 * (admin, compliance), or one owner's within that reach. As of a past moment it is the same
 * query over the opportunities read model replayed from the log up to then, with the stage set
 * in force then (a replay of the tenant's log: the policy's "replay" action, for those who
 * audit or manage).
 */
export async function pipelineFor(
  app: { db: Knex; store: EventStore; stageSetFor: (tenantId: string) => Promise<StageSet> },
  access: Access,
  query: { period: Period; currency: string; ownerId?: string; territoryId?: string; asOf?: Date },
): Promise<Pipeline> {
  const { tenantId } = access;
  const { asOf, ...rest } = query;
  const filters = { ...rest, owners: scopeFor(access, 'opportunity', query.ownerId, asOf ? 'replay' : 'read') };
  if (!asOf) return pipeline(app.db, tenantId, await app.stageSetFor(tenantId), filters);
  // Then, the stage list and probabilities of then: the set in force at that instant.
  const stages = await stageSetAsOf(app.store, tenantId, asOf);
  const source = { filter: { streamPrefixes: [tenantStreamPrefix(opportunityAggregate.category, tenantId)] } };
  return readModelAsOf(app, opportunitiesProjection, source, { at: asOf }, (trx) => pipeline(trx, tenantId, stages, filters));
}
