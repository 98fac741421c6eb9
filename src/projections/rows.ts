import type { Knex } from 'knex';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { KnownRows } from './knownRows.js';
import { type Write, named, namedSelect, runWrites } from './writes.js';

/**
 * Read models with one row per aggregate, written as a pure reducer: `reduce(row, event)`
 * returns the row after the event. A batch of events then costs two statements whatever its
 * size: one select of the rows it touches, one multi-row upsert. That is what makes rebuilds
 * of millions of events fast, lets compliance replays fold in memory, and keeps the rule a
 * plain function.
 */
export type Row = Record<string, unknown>;

/** Which rows an event touches: one by keyOf, or any number (a team's members) by keysOf. */
export type RowKeys<R extends Row = Row> =
  | { keyOf(event: StoredEvent): R; readonly keysOf?: undefined }
  | { keysOf(event: StoredEvent): readonly R[]; readonly keyOf?: undefined };

export type RowModel<R extends Row = Row> = RowKeys<R> & {
  readonly table: string;
  readonly keyColumns: readonly string[];
  /**
   * The row after the event; undefined to leave it as it is (or absent); null to delete it.
   * `key`: the touched row's key (several per event under keysOf).
   */
  reduce(row: R | undefined, event: StoredEvent, key: R): R | null | undefined;
  /**
   * Columns computed from the row alone (a score): applied once to each changed row after a
   * batch is folded, rather than after every event of it; the same rows either way.
   */
  derive?(row: R): R;
};

/** The keys of the rows an event touches. */
export const keysOf = <R extends Row>(model: RowKeys<R>, e: StoredEvent): readonly R[] => (model.keysOf ? model.keysOf(e) : [model.keyOf(e)]);

/** Rows per statement: sent as one jsonb parameter, so the statement's text stays short. */
const CHUNK = 5000;

export const rowKey = (model: { readonly keyColumns: readonly string[] }, r: Row) => model.keyColumns.map((c) => String(r[c])).join('\u0000');

/** Folds events into `rows` (by key) in memory; returns the keys that changed (absent from `rows` when deleted). */
export function reduceRows<R extends Row>(model: RowModel<R>, rows: Map<string, R>, events: readonly StoredEvent[]): Set<string> {
  const dirty = new Set<string>();
  for (const e of events) {
    for (const key of keysOf(model, e)) {
      const k = rowKey(model, key);
      const next = model.reduce(rows.get(k), e, key);
      if (next === undefined) continue;
      if (next === null) rows.delete(k);
      else rows.set(k, next);
      dirty.add(k);
    }
  }
  if (model.derive) for (const k of dirty) if (rows.has(k)) rows.set(k, model.derive(rows.get(k)!));
  return dirty;
}

/**
 * The rows as jsonb_populate_recordset's argument: the table's own row type converts each
 * value, so one parameter carries thousands of rows, and neither knex nor the server handles
 * tens of thousands of bindings. jsonb columns travel as JSON values, not text.
 */
const asRecordset = (rows: readonly Row[]) => JSON.stringify(rows);

const ids = (q: Knex, cols: readonly string[]) => cols.map((c) => q.client.wrapIdentifier(c) as string).join(', ');

/** From a jsonb parameter: `select ${cols} from ${recordset(q, table)}`. */
const recordset = (q: Knex, table: string) => `jsonb_populate_recordset(null::${ids(q, [table])}, ?::jsonb)`;

/**
 * Rows by the set of their columns: rows that lack a column take its default on insert (as
 * knex's multi-row insert did). Columns and groups in one order, whatever order a batch's
 * events set them in: a model then has a few statement texts (each named, see `named`).
 */
function byColumns(rows: readonly Row[]): { readonly columns: readonly string[]; readonly rows: Row[] }[] {
  const groups = new Map<string, { columns: string[]; rows: Row[] }>();
  // Rows of one literal list their keys in one order: sorted once per order, not once per row.
  const byOrder = new Map<string, { columns: string[]; rows: Row[] }>();
  for (const r of rows) {
    const keys = Object.keys(r);
    const order = keys.join(',');
    let group = byOrder.get(order);
    if (!group) {
      const columns = keys.sort();
      const key = columns.join(',');
      group = groups.get(key) ?? { columns, rows: [] };
      groups.set(key, group);
      byOrder.set(order, group);
    }
    group.rows.push(r);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

/** Inserts rows of these columns (one jsonb parameter); `guard` is a condition every row must meet. */
function insertSql(q: Knex, table: string, keyColumns: readonly string[], cols: readonly string[], conflict: 'update' | 'ignore', guard: string): string {
  const updates = conflict === 'update' ? cols.filter((c) => !keyColumns.includes(c)).map((c) => `${ids(q, [c])} = excluded.${ids(q, [c])}`) : [];
  return (
    `insert into ${ids(q, [table])} (${ids(q, cols)}) select ${ids(q, cols)} from ${recordset(q, table)} where ${guard}` +
    ` on conflict (${ids(q, keyColumns)}) do ${updates.length ? `update set ${updates.join(', ')}` : 'nothing'}`
  );
}

/**
 * Rows whose keys are among `count` keys in a jsonb parameter. The limit tells the planner how
 * many there are: it otherwise assumes 100 and scans a table of a few thousand rows whole
 * rather than look up a handful by its primary key. Rounded up to a power of two, so that a
 * model's statements are a few texts, each planned once (named below).
 */
const keysIn = (q: Knex, table: string, keyColumns: readonly string[], count: number) =>
  `(${ids(q, keyColumns)}) in (select ${ids(q, keyColumns)} from ${recordset(q, table)} limit ${rowCountHint(count)})`;

/** A limit at least `count` from a few values: the planner's row estimate for a jsonb set, in a text planned once. */
export const rowCountHint = (count: number) => 2 ** Math.ceil(Math.log2(Math.max(1, count)));

/**
 * Inserts rows, one statement per set of columns and CHUNK rows; a row whose key is stored
 * already replaces it ('update') or is dropped ('ignore').
 */
export function rowWrites(q: Knex, table: string, keyColumns: readonly string[], rows: readonly Row[], conflict: 'update' | 'ignore'): Write[] {
  const writes: Write[] = [];
  for (const group of byColumns(rows)) {
    for (let i = 0; i < group.rows.length; i += CHUNK) {
      writes.push({ sql: (guard) => insertSql(q, table, keyColumns, group.columns, conflict, guard), bindings: [asRecordset(group.rows.slice(i, i + CHUNK))] });
    }
  }
  return writes;
}

export const writeRows = (trx: Knex.Transaction, table: string, keyColumns: readonly string[], rows: readonly Row[], conflict: 'update' | 'ignore'): Promise<void> =>
  runWrites(trx, rowWrites(trx, table, keyColumns, rows, conflict));

/** Inserts or replaces whole rows. */
export const upsertRows = <R extends Row>(trx: Knex.Transaction, model: RowModel<R>, rows: readonly R[]): Promise<void> =>
  writeRows(trx, model.table, model.keyColumns, rows, 'update');

/** The stored rows with these keys (key columns of each as a row), CHUNK keys per statement. */
export async function selectRows<R = Row>(q: Knex, table: string, keyColumns: readonly string[], keys: readonly Row[]): Promise<R[]> {
  const found: R[] = [];
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    const sql = `select * from ${ids(q, [table])} where ${keysIn(q, table, keyColumns, chunk.length)}`;
    found.push(...(await namedSelect<R>(q, sql, [asRecordset(chunk)])));
  }
  return found;
}

/** Deletes the rows with these keys (key columns of each as a row), CHUNK keys per statement. */
export async function deleteRows(trx: Knex.Transaction, table: string, keyColumns: readonly string[], keys: readonly Row[]): Promise<void> {
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    await named(trx, `delete from ${ids(trx, [table])} where ${keysIn(trx, table, keyColumns, chunk.length)}`, [asRecordset(chunk)]);
  }
}

/**
 * A batch folded onto the rows it touches, read unless `known` (knownRows.ts) has them: the
 * keys of rows to delete, and the rows to write. `known` learns every touched row's new state.
 */
async function foldBatch<R extends Row>(q: Knex, model: RowModel<R>, wanted: Map<string, R>, events: readonly StoredEvent[], known?: KnownRows) {
  const rows = new Map<string, R>();
  const unknown: R[] = [];
  for (const [k, key] of wanted) {
    const row = known?.get(model.table, k);
    if (row === undefined) unknown.push(key);
    else if (row !== null) rows.set(k, row as R);
  }
  for (const r of await selectRows<R>(q, model.table, model.keyColumns, unknown)) rows.set(rowKey(model, r), r);
  const dirty = [...reduceRows(model, rows, events)];
  if (known) for (const k of wanted.keys()) known.learn(model.table, k, rows.get(k) ?? null);
  return { gone: dirty.filter((k) => !rows.has(k)).map((k) => wanted.get(k)!), upserts: dirty.filter((k) => rows.has(k)).map((k) => rows.get(k)!) };
}

const wantedKeys = <R extends Row>(model: RowModel<R>, events: readonly StoredEvent[]) => {
  const wanted = new Map<string, R>();
  for (const e of events) for (const k of keysOf(model, e)) wanted.set(rowKey(model, k), k);
  return wanted;
};

/** A batch in a transaction; rows `known` has (a rebuild's fresh shadow: freshRows.ts) are not read. */
export async function applyRows<R extends Row>(trx: Knex.Transaction, model: RowModel<R>, events: readonly StoredEvent[], known?: KnownRows): Promise<void> {
  const wanted = wantedKeys(model, events);
  if (wanted.size === 0) return;
  const { gone, upserts } = await foldBatch(trx, model, wanted, events, known);
  // Deleted first: a row deleted and created again in the batch is then simply upserted.
  if (gone.length) await deleteRows(trx, model.table, model.keyColumns, gone);
  await upsertRows(trx, model, upserts);
}

/**
 * A live batch's effect on a row model as writes (writes.ts): its rows read and folded, their
 * deletes and upserts planned; rows `known` has are not read. Undefined, having written nothing, for a batch that touches more
 * than CHUNK rows (a transaction applies it). A batch's deletes and upserts are of distinct rows.
 */
export async function planRows<R extends Row>(q: Knex, model: RowModel<R>, events: readonly StoredEvent[], known?: KnownRows): Promise<Write[] | undefined> {
  const wanted = wantedKeys(model, events);
  if (wanted.size > CHUNK) return undefined;
  if (wanted.size === 0) return [];
  const { gone, upserts } = await foldBatch(q, model, wanted, events, known);
  const writes: Write[] = [];
  if (gone.length) {
    writes.push({ sql: (guard) => `delete from ${ids(q, [model.table])} where ${keysIn(q, model.table, model.keyColumns, gone.length)} and ${guard}`, bindings: [asRecordset(gone)] });
  }
  return [...writes, ...rowWrites(q, model.table, model.keyColumns, upserts, 'update')];
}

/**
 * What an event does to its row: creates it (a replay keeps the stored one), changes columns of
 * it (nothing when absent), sets columns whether or not it is there (upsert), or deletes it.
 */
export type RowEffect = { readonly create: Row } | { readonly change: Row } | { readonly upsert: Row } | { readonly delete: true } | undefined;

/**
 * A row model for read models written as insert-or-ignore of a created row, updates of columns,
 * upserts and deletes: the same rows, but a batch costs two statements (applyRows) instead of
 * one per event. An update of an absent row changes nothing, as the UPDATE did.
 */
export function keyedRows(spec: RowKeys & Pick<RowModel, 'table' | 'keyColumns'> & { effect(e: StoredEvent): RowEffect }): RowModel {
  return {
    ...spec,
    reduce(row, e, key) {
      const effect = spec.effect(e);
      if (!effect) return undefined;
      if ('create' in effect) return row ? undefined : { ...key, ...effect.create };
      if ('upsert' in effect) return { ...(row ?? key), ...effect.upsert };
      if ('delete' in effect) return row ? null : undefined;
      return row ? { ...row, ...effect.change } : undefined;
    },
  };
}
