import type { Knex } from 'knex';
import type { StoredEvent } from '../eventstore/envelope.js';

/**
 * Read models with one row per aggregate, written as a pure reducer: `reduce(row, event)`
 * returns the row after the event. A batch of events then costs two statements whatever its
 * size: one select of the rows it touches, one multi-row upsert. That is what makes rebuilds
 * of millions of events fast, and the reducer is trivially testable.
 */
export type Row = Record<string, unknown>;

export interface RowModel<R extends Row> {
  readonly table: string;
  readonly keyColumns: readonly string[];
  keyOf(event: StoredEvent): R;
  /** jsonb columns: written as JSON text. */
  readonly jsonColumns?: readonly string[];
  /** The row after the event; undefined to leave it as it is (or absent). */
  reduce(row: R | undefined, event: StoredEvent): R | undefined;
}

const CHUNK = 1000;

export async function applyRows<R extends Row>(trx: Knex.Transaction, model: RowModel<R>, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  const keyText = (r: Row) => model.keyColumns.map((c) => String(r[c])).join('\u0000');
  const keys = new Map<string, unknown[]>();
  for (const e of events) {
    const k = model.keyOf(e);
    keys.set(keyText(k), model.keyColumns.map((c) => k[c]));
  }
  const rows = new Map<string, R>();
  const wanted = [...keys.values()];
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const found = (await trx(model.table)
      .whereIn(model.keyColumns as string[], wanted.slice(i, i + CHUNK) as Knex.Value[][])
      .select()) as R[];
    for (const r of found) rows.set(keyText(r), r);
  }
  const dirty = new Set<string>();
  for (const e of events) {
    const k = keyText(model.keyOf(e));
    const next = model.reduce(rows.get(k), e);
    if (next !== undefined) {
      rows.set(k, next);
      dirty.add(k);
    }
  }
  const json = new Set(model.jsonColumns ?? []);
  const out = [...dirty].map((k) => {
    const r = rows.get(k)!;
    return Object.fromEntries(Object.entries(r).map(([c, v]) => [c, json.has(c) && v !== null ? JSON.stringify(v) : v]));
  });
  for (let i = 0; i < out.length; i += CHUNK) {
    await trx(model.table)
      .insert(out.slice(i, i + CHUNK))
      .onConflict(model.keyColumns as string[])
      .merge();
  }
}
