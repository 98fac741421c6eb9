import BigNumber from 'bignumber.js';
import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { type OwnerScope, scopeFor } from '../access/policy.js';
import type { StageSet } from '../aggregates/pipelineStage/stages.js';
import { type Amount, formatAmount, toBig } from '../shared/money.js';
import type { Period } from '../shared/period.js';
import { OPPORTUNITIES_TABLE } from './opportunities.js';
import { whereOwnerIn } from './ownerScope.js';
import { CLOSE_DATE_CHANGES_TABLE, STAGE_HISTORY_TABLE } from './salesAnalytics.js';

/**
 * Win/loss and sales metrics, from the opportunities read model and the sales-analytics
 * tables. One currency per answer (amounts of different currencies are never added), as the
 * pipeline query does. Money is summed exactly (numeric, BigNumber); ratios are decimal
 * strings with 4 places, rounded half up.
 */
export interface AnalyticsFilters {
  /** Whose deals count: the caller's scope by the access policy. */
  readonly owners: OwnerScope;
  readonly period?: Period;
  readonly ownerId?: string;
  readonly currency: string;
}

export interface WinLossFigures {
  won_count: number;
  lost_count: number;
  win_rate_by_count: string | null;
  won_amount: Amount;
  lost_amount: Amount;
  win_rate_by_value: string | null;
}

const ratio = (part: BigNumber, whole: BigNumber): string | null =>
  whole.isZero() ? null : part.div(whole).decimalPlaces(4, BigNumber.ROUND_HALF_UP).toFixed(4);

class Tally {
  won = 0;
  lost = 0;
  wonAmount = new BigNumber(0);
  lostAmount = new BigNumber(0);
  add(status: string, count: number, amount: string) {
    if (status === 'won') {
      this.won += count;
      this.wonAmount = this.wonAmount.plus(amount);
    } else {
      this.lost += count;
      this.lostAmount = this.lostAmount.plus(amount);
    }
  }
  figures(): WinLossFigures {
    return {
      won_count: this.won,
      lost_count: this.lost,
      win_rate_by_count: ratio(new BigNumber(this.won), new BigNumber(this.won + this.lost)),
      won_amount: formatAmount(this.wonAmount),
      lost_amount: formatAmount(this.lostAmount),
      win_rate_by_value: ratio(this.wonAmount, this.wonAmount.plus(this.lostAmount)),
    };
  }
}

function closedIn(q: Knex.QueryBuilder, tenantId: string, f: AnalyticsFilters, column = 'close_date') {
  q.where('tenant_id', tenantId).whereRaw('trim(currency) = ?', [f.currency]);
  whereOwnerIn(q, f.owners);
  if (f.period) q.where(column, '>=', f.period.start).where(column, '<', f.period.end);
  if (f.ownerId) q.where('owner_id', f.ownerId);
}

export async function winLoss(db: Knex, tenantId: string, f: AnalyticsFilters) {
  const rows: { owner_id: string | null; status: string; lost_reason: string | null; month: string; n: string; amount: string }[] =
    await db(OPPORTUNITIES_TABLE)
      .modify((q) => closedIn(q, tenantId, f))
      .whereIn('status', ['won', 'lost'])
      .groupBy('owner_id', 'status', 'lost_reason', db.raw("to_char(close_date, 'YYYY-MM')"))
      .select(
        'owner_id',
        'status',
        'lost_reason',
        db.raw("to_char(close_date, 'YYYY-MM') as month"),
        db.raw('count(*)::text as n'),
        db.raw('sum(amount)::text as amount'),
      );
  const overall = new Tally();
  const byOwner = new Map<string, Tally>();
  const byMonth = new Map<string, Tally>();
  const byReason = new Map<string, { count: number; amount: BigNumber }>();
  for (const r of rows) {
    const n = Number(r.n);
    overall.add(r.status, n, r.amount);
    const owner = r.owner_id ?? '(none)';
    if (!byOwner.has(owner)) byOwner.set(owner, new Tally());
    byOwner.get(owner)!.add(r.status, n, r.amount);
    if (!byMonth.has(r.month)) byMonth.set(r.month, new Tally());
    byMonth.get(r.month)!.add(r.status, n, r.amount);
    if (r.status === 'lost') {
      const reason = r.lost_reason ?? '(none)';
      const t = byReason.get(reason) ?? { count: 0, amount: new BigNumber(0) };
      byReason.set(reason, { count: t.count + n, amount: t.amount.plus(r.amount) });
    }
  }
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    period: f.period?.code ?? null,
    owner_id: f.ownerId ?? null,
    currency: f.currency,
    overall: overall.figures(),
    by_owner: sorted(byOwner).map(([owner_id, t]) => ({ owner_id, ...t.figures() })),
    by_period: sorted(byMonth).map(([month, t]) => ({ period: month, ...t.figures() })),
    by_loss_reason: [...byReason.entries()]
      .sort(([, a], [, b]) => b.count - a.count)
      .map(([reason, t]) => ({ reason, count: t.count, amount: formatAmount(t.amount) })),
  };
}

const SLIPPED_IDS = 200;

export async function salesMetrics(db: Knex, tenantId: string, f: AnalyticsFilters, stages: StageSet) {
  const won = (await db(OPPORTUNITIES_TABLE)
    .modify((q) => closedIn(q, tenantId, f))
    .where('status', 'won')
    .first(
      db.raw('count(*)::text as n'),
      db.raw('sum(amount)::text as total'),
      db.raw("round(avg(close_date - (created_at at time zone 'UTC')::date), 1)::text as cycle_days"),
    )) as { n: string; total: string | null; cycle_days: string | null } | undefined;
  const closed = (await db(OPPORTUNITIES_TABLE)
    .modify((q) => closedIn(q, tenantId, f))
    .whereIn('status', ['won', 'lost'])
    .first(db.raw("round(avg(close_date - (created_at at time zone 'UTC')::date), 1)::text as cycle_days"))) as
    | { cycle_days: string | null }
    | undefined;
  const wonCount = Number(won?.n ?? 0);
  const averageDealSize =
    wonCount > 0 ? formatAmount(toBig(won!.total ?? '0').div(wonCount).decimalPlaces(2, BigNumber.ROUND_HALF_UP)) : null;

  // Stage visits of the matching opportunities, entered in the period.
  const visits = () => {
    const q = db(`${STAGE_HISTORY_TABLE} as h`)
      .join(`${OPPORTUNITIES_TABLE} as o`, function () {
        this.on('o.tenant_id', 'h.tenant_id').andOn('o.opportunity_id', 'h.opportunity_id');
      })
      .where('h.tenant_id', tenantId)
      .whereRaw('trim(o.currency) = ?', [f.currency]);
    whereOwnerIn(q, f.owners, 'o.owner_id');
    if (f.ownerId) q.where('o.owner_id', f.ownerId);
    if (f.period) q.where('h.entered_at', '>=', f.period.start).where('h.entered_at', '<', f.period.end);
    return q;
  };
  const timeInStage: { stage: string; samples: string; average_days: string }[] = await visits()
    .whereNotNull('h.left_at')
    .groupBy('h.stage')
    .select(
      'h.stage',
      db.raw('count(*)::text as samples'),
      db.raw('round((avg(extract(epoch from h.left_at - h.entered_at)) / 86400)::numeric, 2)::text as average_days'),
    );

  // Conversion: of the visits to a stage, the share after which the opportunity reached a
  // stage further on (by the tenant's stage order), lost stages excluded. In SQL: the data
  // can be any size.
  const open = stages.stages.filter((s) => s.kind === 'open');
  const orders = stages.stages.map((s) => [s.code, s.order, s.kind] as const);
  const conversionRows: { stage: string; entered: string; advanced: string }[] = open.length
    ? (
        await db.raw(
          `with orders(stage, ord, kind) as (values ${orders.map(() => '(?, ?::int, ?)').join(', ')}),
                entered as (${visits().select('h.opportunity_id', 'h.stage', 'h.revision').toString()})
           select e.stage, count(*)::text as entered,
                  count(*) filter (where exists (
                    select 1 from ${STAGE_HISTORY_TABLE} later join orders o2 on o2.stage = later.stage
                     where later.tenant_id = ? and later.opportunity_id = e.opportunity_id and later.revision > e.revision
                       and o2.kind <> 'lost' and o2.ord > (select ord from orders where stage = e.stage)))::text as advanced
             from entered e group by e.stage`,
          [...orders.flat(), tenantId],
        )
      ).rows
    : [];
  const conversion = open.map((s) => {
    const row = conversionRows.find((r) => r.stage === s.code);
    const entered = Number(row?.entered ?? 0);
    const advanced = Number(row?.advanced ?? 0);
    return { stage: s.code, entered, advanced, conversion_rate: ratio(new BigNumber(advanced), new BigNumber(entered)) };
  });

  // Slipped: expected to close inside the period, then moved past its end.
  let slipped: { count: number; amount: Amount; opportunities: string[]; opportunities_truncated: boolean } | null = null;
  if (f.period) {
    const rows: { opportunity_id: string; amount: string }[] = await db(`${CLOSE_DATE_CHANGES_TABLE} as c`)
      .join(`${OPPORTUNITIES_TABLE} as o`, function () {
        this.on('o.tenant_id', 'c.tenant_id').andOn('o.opportunity_id', 'c.opportunity_id');
      })
      .where('c.tenant_id', tenantId)
      .whereRaw('trim(o.currency) = ?', [f.currency])
      .modify((q) => whereOwnerIn(q, f.owners, 'o.owner_id'))
      .modify((q) => (f.ownerId ? q.where('o.owner_id', f.ownerId) : q))
      .where('c.from_date', '>=', f.period.start)
      .where('c.from_date', '<', f.period.end)
      .where((q) => q.whereNull('c.to_date').orWhere('c.to_date', '>=', f.period!.end))
      .distinct('c.opportunity_id', 'o.amount')
      .orderBy('c.opportunity_id');
    slipped = {
      count: rows.length,
      amount: formatAmount(rows.reduce((sum, r) => sum.plus(r.amount), new BigNumber(0))),
      // The ids, up to a page of them; count and amount cover all.
      opportunities: rows.slice(0, SLIPPED_IDS).map((r) => r.opportunity_id),
      opportunities_truncated: rows.length > SLIPPED_IDS,
    };
  }

  return {
    period: f.period?.code ?? null,
    owner_id: f.ownerId ?? null,
    currency: f.currency,
    average_deal_size: averageDealSize,
    won_count: wonCount,
    sales_cycle_days: { won: won?.cycle_days ?? null, closed: closed?.cycle_days ?? null },
    stage_conversion: conversion,
    time_in_stage: stages.stages
      .map((s) => timeInStage.find((t) => t.stage === s.code))
      .filter((t) => t !== undefined)
      .map((t) => ({ stage: t.stage, samples: Number(t.samples), average_days: t.average_days })),
    slipped_deals: slipped,
  };
}

/** The figures over the deals the caller may see (one owner's within its reach, when asked). */
export type AnalyticsQuery = Omit<AnalyticsFilters, 'owners'>;
const scoped = (access: Access, q: AnalyticsQuery): AnalyticsFilters => ({ ...q, owners: scopeFor(access, 'opportunity', q.ownerId) });

export const winLossFor = (db: Knex, access: Access, q: AnalyticsQuery) => winLoss(db, access.tenantId, scoped(access, q));

export const salesMetricsFor = async (app: { db: Knex; stageSetFor: (tenantId: string) => Promise<StageSet> }, access: Access, q: AnalyticsQuery) =>
  salesMetrics(app.db, access.tenantId, scoped(access, q), await app.stageSetFor(access.tenantId));
