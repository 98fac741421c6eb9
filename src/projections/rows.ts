import type { Knex } from 'knex';
import type { StoredEvent } from '../eventstore/envelope.js';

/**
 * Read models with one row per aggregate, written as a pure reducer: `reduce(row, event)`
 * returns the row after the event. A batch of events then costs two statements whatever its
 * size: one select of the rows it touches, one multi-row upsert. That is what makes rebuilds
 * of millions of events fast, lets compliance replays fold in memory, and keeps the rule a
 * plain function.
 */
export type Row = Record<string, unknown>;

export interface RowModel<R extends Row = Row> {
  readonly table: string;
  readonly keyColumns: readonly string[];
  keyOf(event: StoredEvent): R;
  /** jsonb columns: written as JSON text. */
  readonly jsonColumns?: readonly string[];
  /** The row after the event; undefined to leave it as it is (or absent). */
  reduce(row: R | undefined, event: StoredEvent): R | undefined;
  /**
   * Columns computed from the row alone (a score): applied once to each changed row after a
   * batch is folded, rather than after every event of it; the same rows either way.
   */
  derive?(row: R): R;
}

const CHUNK = 1000;

export const rowKey = (model: RowModel, r: Row) => model.keyColumns.map((c) => String(r[c])).join('\u0000');

/** Folds events into `rows` (by key) in memory; returns the keys that changed. */
export function reduceRows<R extends Row>(model: RowModel<R>, rows: Map<string, R>, events: readonly StoredEvent[]): Set<string> {
  const dirty = new Set<string>();
  for (const e of events) {
    const k = rowKey(model, model.keyOf(e));
    const next = model.reduce(rows.get(k), e);
    if (next !== undefined) {
      rows.set(k, next);
      dirty.add(k);
    }
  }
  if (model.derive) for (const k of dirty) rows.set(k, model.derive(rows.get(k)!));
  return dirty;
}

/** Inserts or replaces whole rows, a thousand per statement. */
export async function upsertRows<R extends Row>(trx: Knex.Transaction, model: RowModel<R>, rows: readonly R[]): Promise<void> {
  const json = new Set(model.jsonColumns ?? []);
  const out = rows.map((r) => Object.fromEntries(Object.entries(r).map(([c, v]) => [c, json.has(c) && v !== null ? JSON.stringify(v) : v])));
  for (let i = 0; i < out.length; i += CHUNK) {
    await trx(model.table)
      .insert(out.slice(i, i + CHUNK))
      .onConflict(model.keyColumns as string[])
      .merge();
  }
}

export async function applyRows<R extends Row>(trx: Knex.Transaction, model: RowModel<R>, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  const wanted = new Map<string, unknown[]>();
  for (const e of events) {
    const k = model.keyOf(e);
    wanted.set(rowKey(model, k), model.keyColumns.map((c) => k[c]));
  }
  const rows = new Map<string, R>();
  const keys = [...wanted.values()];
  for (let i = 0; i < keys.length; i += CHUNK) {
    const found = (await trx(model.table)
      .whereIn(model.keyColumns as string[], keys.slice(i, i + CHUNK) as Knex.Value[][])
      .select()) as R[];
    for (const r of found) rows.set(rowKey(model, r), r);
  }
  const dirty = reduceRows(model, rows, events);
  await upsertRows(trx, model, [...dirty].map((k) => rows.get(k)!));
}
