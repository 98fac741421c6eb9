import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import { type CustomerRow, customersByIds } from '../projections/customerQueries.js';
import { type TerritoryRow, territoriesByIds } from '../projections/territoryQueries.js';

/**
 * Per-request batch loaders: the accounts and territories a page of records names are read in
 * one query each, however long the page (DataLoader collects the ids of one tick).
 */
export interface Loaders {
  readonly account: DataLoader<string, CustomerRow | null>;
  readonly territory: DataLoader<string, TerritoryRow | null>;
}

function byId<R>(load: (ids: readonly string[]) => Promise<R[]>, idOf: (row: R) => string): DataLoader<string, R | null> {
  return new DataLoader(async (ids) => {
    const found = new Map((await load(ids)).map((r) => [idOf(r), r]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

export function createLoaders(db: Knex, tenantId: string): Loaders {
  return {
    account: byId((ids) => customersByIds(db, tenantId, ids), (r) => r.customer_id),
    territory: byId((ids) => territoriesByIds(db, tenantId, ids), (r) => r.territory_id),
  };
}
