import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { type OwnerScope, scopeFor } from '../access/policy.js';
import { FORECAST_SNAPSHOTS_TABLE, FORECASTS_TABLE } from './forecasts.js';
import { whereOwnerIn } from './ownerScope.js';

/** Reads of the forecasts read model; always scoped to one tenant. */
export interface ForecastRow {
  tenant_id: string;
  forecast_id: string;
  period: string;
  period_start: string;
  period_end: string;
  territory_id: string | null;
  owner_id: string;
  forecast_type: string;
  amount: string;
  currency: string;
  notes: string | null;
  /** own | team | all; null (before access control): all. */
  deal_scope: string | null;
  status: string;
  snapshot_count: number;
  last_snapshot_at: Date | null;
  locked_at: Date | null;
  locked_by: string | null;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface SnapshotRow {
  tenant_id: string;
  snapshot_id: string;
  forecast_id: string;
  revision: string;
  period: string;
  territory_id: string | null;
  forecast_type: string;
  currency: string;
  amount: string;
  probability_weighted_amount: string;
  total_count: number;
  total_amount: string;
  breakdown: unknown;
  generated_at: Date;
  created_by: string;
}

export interface ForecastFilters {
  /** Whose forecasts the caller may see (the access policy's scope). */
  readonly owners: OwnerScope;
  /** Canonical period code. */
  readonly period?: string;
  readonly territoryId?: string;
  readonly ownerId?: string;
  readonly forecastType?: string;
  readonly status?: string;
}

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export async function getForecast(db: Knex, tenantId: string, id: string): Promise<ForecastRow | undefined> {
  const row = await db<ForecastRow>(FORECASTS_TABLE).where({ tenant_id: tenantId, forecast_id: id }).first();
  return row;
}

export async function listForecasts(
  db: Knex,
  tenantId: string,
  filters: ForecastFilters,
  page: Page,
): Promise<{ rows: ForecastRow[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => {
    q.where('tenant_id', tenantId);
    whereOwnerIn(q, filters.owners);
    if (filters.period) q.where('period', filters.period);
    if (filters.territoryId) q.where('territory_id', filters.territoryId);
    if (filters.ownerId) q.where('owner_id', filters.ownerId);
    if (filters.forecastType) q.where('forecast_type', filters.forecastType);
    if (filters.status) q.where('status', filters.status);
  };
  const [rows, count] = await Promise.all([
    db<ForecastRow>(FORECASTS_TABLE)
      .modify(where)
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'forecast_id' }])
      .limit(page.limit)
      .offset(page.offset),
    db(FORECASTS_TABLE).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count[0]?.count ?? 0) };
}

/** A forecast's snapshots, newest first. */
export async function listSnapshots(
  db: Knex,
  tenantId: string,
  forecastId: string,
  page: Page,
): Promise<{ rows: SnapshotRow[]; total: number }> {
  const key = { tenant_id: tenantId, forecast_id: forecastId };
  const [rows, count] = await Promise.all([
    db<SnapshotRow>(FORECAST_SNAPSHOTS_TABLE)
      .where(key)
      .orderBy([{ column: 'revision', order: 'desc' }])
      .limit(page.limit)
      .offset(page.offset),
    db(FORECAST_SNAPSHOTS_TABLE).where(key).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count[0]?.count ?? 0) };
}

/** The forecasts the caller may see, filtered (an owner outside its reach is FORBIDDEN). */
export const forecastsFor = (db: Knex, access: Access, filters: Omit<ForecastFilters, 'owners'>, page: Page) =>
  listForecasts(db, access.tenantId, { ...filters, owners: scopeFor(access, 'forecast', filters.ownerId) }, page);
