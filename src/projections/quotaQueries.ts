import BigNumber from 'bignumber.js';
import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { type OwnerScope, inScope, ownerScope, reachOf, scopeFor } from '../access/policy.js';
import { quotaIdOf } from '../aggregates/quota/decider.js';
import type { StageSet } from '../aggregates/pipelineStage/stages.js';
import { type Amount, formatAmount, ratioOf, toBig } from '../shared/money.js';
import { type Period, requirePeriod } from '../shared/period.js';
import { whereOwnerIn } from './ownerScope.js';
import { pipeline, pipelineCoverage, wonInPeriod } from './pipelineQueries.js';
import { QUOTAS_TABLE } from './quotas.js';

export interface QuotaRow {
  tenant_id: string;
  quota_id: string;
  owner_id: string | null;
  territory_id: string | null;
  period: string;
  period_start: string;
  period_end: string;
  amount: string;
  currency: string;
  attained_at: Date | null;
  attained_quota_amount: string | null;
  attained_won_amount: string | null;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

/**
 * What a quota measures: the deals of its owner (a user's quota: that user's own deals) or of
 * its territory (every owner's), in its period and its currency, by the pipeline's rules
 * (pipelineQueries: won = closed won with a close date in the period; open pipeline = open with
 * an expected close date in it). Other currencies are not counted.
 */
export interface QuotaMeasure {
  readonly tenantId: string;
  readonly ownerId: string | null;
  readonly territoryId: string | null;
  readonly period: string;
  readonly currency: string;
}

export interface QuotaFigures {
  readonly wonCount: number;
  readonly wonAmount: Amount;
  readonly openPipeline: Amount;
  /** quota - won, never below 0. */
  readonly remaining: Amount;
  /** won / quota, 4 decimals half up. */
  readonly attainment: string | null;
  /** open pipeline / remaining, 2 decimals half up (pipeline_coverage's rule); null once the quota is met. */
  readonly quotaCoverage: string | null;
}

export const measureOfRow = (row: QuotaRow): QuotaMeasure => ({
  tenantId: row.tenant_id,
  ownerId: row.owner_id,
  territoryId: row.territory_id,
  period: row.period,
  currency: row.currency.trim(),
});

const selection = (m: QuotaMeasure) => ({
  period: requirePeriod(m.period),
  currency: m.currency,
  owners: (m.ownerId !== null ? [m.ownerId] : 'all') as OwnerScope,
  ...(m.territoryId !== null ? { territoryId: m.territoryId } : {}),
});

/** What was won in the quota's measure. */
export const wonForQuota = (db: Knex, m: QuotaMeasure) => wonInPeriod(db, m.tenantId, selection(m));

/** Attainment and quota-based coverage of an amount, from the won amount and the open pipeline. */
export function quotaFiguresOf(amount: Amount | string, won: { count: number; amount: Amount }, openPipeline: Amount): QuotaFigures {
  const remaining = BigNumber.max(0, toBig(amount).minus(won.amount));
  return {
    wonCount: won.count,
    wonAmount: won.amount,
    openPipeline,
    remaining: formatAmount(remaining),
    attainment: ratioOf(won.amount, amount),
    quotaCoverage: remaining.isZero() ? null : pipelineCoverage(openPipeline, formatAmount(remaining)),
  };
}

export async function quotaFigures(db: Knex, stages: StageSet, m: QuotaMeasure, amount: Amount | string): Promise<QuotaFigures> {
  const [won, open] = await Promise.all([wonForQuota(db, m), pipeline(db, m.tenantId, stages, selection(m))]);
  return quotaFiguresOf(amount, won, open.summary.totalAmount);
}

export async function getQuota(db: Knex, tenantId: string, id: string): Promise<QuotaRow | undefined> {
  return db<QuotaRow>(QUOTAS_TABLE).where({ tenant_id: tenantId, quota_id: id }).first();
}

export interface QuotaFilters {
  /** Whose quotas the caller may see (the access policy's scope); territory quotas need 'all'. */
  readonly owners: OwnerScope;
  readonly ownerId?: string;
  readonly territoryId?: string;
  /** Canonical period code. */
  readonly period?: string;
}

export async function listQuotas(db: Knex, tenantId: string, f: QuotaFilters, page: { limit: number; offset: number }): Promise<{ rows: QuotaRow[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => {
    q.where('tenant_id', tenantId);
    whereOwnerIn(q, f.owners);
    if (f.ownerId) q.where('owner_id', f.ownerId);
    if (f.territoryId) q.where('territory_id', f.territoryId);
    if (f.period) q.where('period', f.period);
  };
  const [rows, count] = await Promise.all([
    db<QuotaRow>(QUOTAS_TABLE)
      .modify(where)
      .orderBy([{ column: 'period_start', order: 'desc' }, { column: 'period_end' }, { column: 'quota_id' }])
      .limit(page.limit)
      .offset(page.offset),
    db(QUOTAS_TABLE).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count[0]?.count ?? 0) };
}

/** The quotas the caller may see, filtered (an owner outside its reach is FORBIDDEN). */
export const quotasFor = (db: Knex, access: Access, filters: Omit<QuotaFilters, 'owners'>, page: { limit: number; offset: number }) =>
  listQuotas(db, access.tenantId, { ...filters, owners: scopeFor(access, 'quota', filters.ownerId) }, page);

/**
 * The quota a forecast is set against, beside its pipeline_coverage: its territory's quota when it
 * has a territory, else its owner's, for the same period; undefined when there is none or the
 * caller may not read it (a territory's quota needs a tenant-wide reach).
 */
export async function quotaOfForecast(
  { db, stageSetFor }: { readonly db: Knex; readonly stageSetFor: (tenantId: string) => Promise<StageSet> },
  access: Access,
  forecast: { readonly ownerId: string; readonly territoryId: string | null; readonly period: Period | string },
): Promise<{ row: QuotaRow; figures: QuotaFigures } | undefined> {
  const target = forecast.territoryId !== null ? { territoryId: forecast.territoryId } : { ownerId: forecast.ownerId };
  const row = await getQuota(db, access.tenantId, quotaIdOf(target, typeof forecast.period === 'string' ? requirePeriod(forecast.period) : forecast.period));
  if (!row || !reachOf(access, 'quota', 'read') || !inScope(ownerScope(access, 'quota'), row.owner_id)) return undefined;
  return { row, figures: await quotaFigures(db, await stageSetFor(access.tenantId), measureOfRow(row), row.amount) };
}
