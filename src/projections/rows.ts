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
  /** The row after the event; undefined to leave it as it is (or absent). */
  reduce(row: R | undefined, event: StoredEvent): R | undefined;
  /**
   * Columns computed from the row alone (a score): applied once to each changed row after a
   * batch is folded, rather than after every event of it; the same rows either way.
   */
  derive?(row: R): R;
}

/** Rows per statement: sent as one jsonb parameter, so the statement's text stays short. */
const CHUNK = 5000;

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

/**
 * The rows as jsonb_populate_recordset's argument: the table's own row type converts each
 * value, so one parameter carries thousands of rows, and neither knex nor the server handles
 * tens of thousands of bindings. jsonb columns travel as JSON values, not text.
 */
const asRecordset = (rows: readonly Row[]) => JSON.stringify(rows);

/**
 * Inserts rows, one statement per set of columns and CHUNK rows; a row whose key is stored
 * already replaces it ('update') or is dropped ('ignore'). Rows that lack a column take its
 * default on insert (as knex's multi-row insert did), hence the grouping by columns.
 */
export async function writeRows(trx: Knex.Transaction, table: string, keyColumns: readonly string[], rows: readonly Row[], conflict: 'update' | 'ignore'): Promise<void> {
  const id = (c: string) => trx.client.wrapIdentifier(c) as string;
  const byColumns = new Map<string, Row[]>();
  for (const r of rows) {
    const cols = Object.keys(r).join(',');
    const group = byColumns.get(cols);
    if (group) group.push(r);
    else byColumns.set(cols, [r]);
  }
  for (const group of byColumns.values()) {
    const cols = Object.keys(group[0]!);
    const list = cols.map(id).join(', ');
    const updates = conflict === 'update' ? cols.filter((c) => !keyColumns.includes(c)).map((c) => `${id(c)} = excluded.${id(c)}`) : [];
    const sql =
      `insert into ${id(table)} (${list}) select ${list} from jsonb_populate_recordset(null::${id(table)}, ?::jsonb)` +
      ` on conflict (${keyColumns.map(id).join(', ')}) do ${updates.length ? `update set ${updates.join(', ')}` : 'nothing'}`;
    for (let i = 0; i < group.length; i += CHUNK) await trx.raw(sql, [asRecordset(group.slice(i, i + CHUNK))]);
  }
}

/** Inserts or replaces whole rows. */
export const upsertRows = <R extends Row>(trx: Knex.Transaction, model: RowModel<R>, rows: readonly R[]): Promise<void> =>
  writeRows(trx, model.table, model.keyColumns, rows, 'update');

/** The stored rows with these keys (key columns of each as a row), CHUNK keys per statement. */
export async function selectRows<R = Row>(trx: Knex.Transaction, table: string, keyColumns: readonly string[], keys: readonly Row[]): Promise<R[]> {
  const id = (c: string) => trx.client.wrapIdentifier(c) as string;
  const cols = keyColumns.map(id).join(', ');
  const sql = `select * from ${id(table)} where (${cols}) in (select ${cols} from jsonb_populate_recordset(null::${id(table)}, ?::jsonb))`;
  const found: R[] = [];
  for (let i = 0; i < keys.length; i += CHUNK) {
    const { rows } = await trx.raw<{ rows: R[] }>(sql, [asRecordset(keys.slice(i, i + CHUNK))]);
    found.push(...rows);
  }
  return found;
}

export async function applyRows<R extends Row>(trx: Knex.Transaction, model: RowModel<R>, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  const wanted = new Map<string, Row>();
  for (const e of events) {
    const k = model.keyOf(e);
    wanted.set(rowKey(model, k), k);
  }
  const rows = new Map<string, R>();
  for (const r of await selectRows<R>(trx, model.table, model.keyColumns, [...wanted.values()])) rows.set(rowKey(model, r), r);
  const dirty = reduceRows(model, rows, events);
  await upsertRows(trx, model, [...dirty].map((k) => rows.get(k)!));
}

/**
 * What an event does to its row: creates it (a replay keeps the stored one), changes columns of
 * it (nothing when absent), or sets columns whether or not it is there (upsert).
 */
export type RowEffect = { readonly create: Row } | { readonly change: Row } | { readonly upsert: Row } | undefined;

/**
 * A row model for read models written as insert-or-ignore of a created row, updates of columns
 * and upserts: the same rows, but a batch costs two statements (applyRows) instead of one per
 * event. An update of an absent row changes nothing, as the UPDATE did.
 */
export function keyedRows(spec: Pick<RowModel, 'table' | 'keyColumns' | 'keyOf'> & { effect(e: StoredEvent): RowEffect }): RowModel {
  return {
    ...spec,
    reduce(row, e) {
      const effect = spec.effect(e);
      if (!effect) return undefined;
      if ('create' in effect) return row ? undefined : { ...spec.keyOf(e), ...effect.create };
      if ('upsert' in effect) return { ...(row ?? spec.keyOf(e)), ...effect.upsert };
      return row ? { ...row, ...effect.change } : undefined;
    },
  };
}
