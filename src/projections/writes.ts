import type { Knex } from 'knex';
import { renameStatement, resultTypeChanged, statementName } from '../db/statementName.js';

/**
 * One statement of a live batch's effect, planned with the batch's reads already done. A plan's
 * writes then go to PostgreSQL with the checkpoint's move as one statement (applyMoving), without
 * a transaction; in a transaction (a batch it cannot plan that way, a rebuild) they run in order.
 * A plan's writes touch distinct rows: in one statement they run on one snapshot, in no order.
 */
export interface Write {
  /** The statement; `guard` is a condition it adds to whatever it writes (an SQL boolean). */
  readonly sql: (guard: string) => string;
  readonly bindings: readonly unknown[];
}

/** The writes one after another, in the caller's transaction. */
export async function runWrites(trx: Knex.Transaction, writes: readonly Write[]): Promise<void> {
  for (const w of writes) await named(trx, w.sql('true'), w.bindings);
}

/**
 * The writes and the checkpoint's move as one statement: the move is its first CTE and every
 * write is guarded by it, so a subscriber that was overtaken or lost its lease writes nothing
 * (false). Saves BEGIN, COMMIT and a round trip per statement of the batch. It locks the
 * checkpoint's row before the data rows, a transaction the other way round: two movers from
 * one position on different paths (a stale holder beside the new one) may deadlock, and
 * PostgreSQL then aborts one; that batch fails and is retried, as on any error.
 */
export async function applyMoving(db: Knex, writes: readonly Write[], move: { readonly sql: string; readonly bindings: readonly Knex.Value[] }): Promise<boolean> {
  const guard = 'exists (select 1 from moved)';
  const sql = `with moved as (${move.sql})${writes.map((w, i) => `, w${i} as (${w.sql(guard)})`).join('')} select count(*)::int as moved from moved`;
  const { rows } = await named<{ rows: { moved: number }[] }>(db, sql, [...move.bindings, ...writes.flatMap((w) => w.bindings)]);
  return rows[0]?.moved === 1;
}

/**
 * A statement of one of a model's few shapes, named: parsed once per connection and planned
 * once rather than on every batch (statementName.ts). Its only value the planner could look at
 * is the jsonb of rows, so a generic plan is the plan a custom one would be.
 */
export const named = <T>(q: Knex, sql: string, bindings: readonly unknown[]) =>
  q.raw<T>(sql, bindings as Knex.Value[]).options({ name: statementName(sql) });

/**
 * A named read. After its table's columns changed (a migration, a rebuilt table swapped in), the
 * prepared statement's result type no longer matches: the name is replaced and the read tried
 * again; in a transaction (now aborted) the caller's retry of the batch does that.
 */
export async function namedSelect<R>(q: Knex, sql: string, bindings: readonly unknown[]): Promise<R[]> {
  try {
    return (await named<{ rows: R[] }>(q, sql, bindings)).rows;
  } catch (err) {
    if (!resultTypeChanged(err)) throw err;
    renameStatement(sql);
    if (q.isTransaction) throw err;
    return (await named<{ rows: R[] }>(q, sql, bindings)).rows;
  }
}
