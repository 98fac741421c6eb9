import type { Knex } from 'knex';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { CommitCheckpoint, Subscriber } from '../subscriptions/consume.js';
import { type Condition, movedError } from '../subscriptions/checkpoints.js';
import { type RowModel, applyRows, planRows } from './rows.js';
import { type KnownRows, knownRows } from './knownRows.js';
import { type Write, applyMoving } from './writes.js';

/**
 * A projection: a named, versioned subscriber that turns events of some types into read-model
 * rows. Its handler writes with the transaction it is given, and the checkpoint moves in that
 * same transaction (a row model's: in the same statement), so each event takes effect on the
 * read model exactly once whatever crashes.
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  /** The read-model tables it owns (and a rebuild empties). */
  readonly tables: readonly string[];
  handle(trx: Knex.Transaction, event: StoredEvent): Promise<void>;
  /**
   * One row per aggregate, as a pure reducer (rows.ts): then it is the projection's whole effect
   * (rowProjection), so replays fold it in memory and a live batch is one statement.
   */
  readonly rows?: RowModel;
  /**
   * Optional: a whole batch at once (same effect as handle in order, fewer round trips).
   * `known`: rows its row models need not read (a rebuild's fresh shadow: freshRows.ts).
   */
  handleBatch?(trx: Knex.Transaction, events: readonly StoredEvent[], known?: KnownRows): Promise<void>;
  /**
   * Optional: a live batch's effect as writes (writes.ts), its reads done on `q`: the writes and
   * the checkpoint's move are then one statement; a batch without writes that read no row moves it
   * as an idle one. The same rows as handleBatch; undefined for a batch it cannot plan (handleBatch then).
   */
  plan?(q: Knex, events: readonly StoredEvent[], known?: KnownRows): Promise<readonly Write[] | undefined>;
  /**
   * The indexes (column lists) its handler reads by, beside the unique ones. A rebuild fills its
   * tables with only those, and builds the rest (they serve queries) once filled: one sort
   * instead of an entry per row. Absent: every index is kept while filling.
   */
  readonly readsBy?: readonly (readonly string[])[];
}

/** A row model's projection: a batch in two statements (applyRows), an event alone likewise. */
export function rowProjection(p: Omit<Projection, 'handle' | 'handleBatch' | 'rows'>, model: RowModel): Projection {
  const projection: Projection = {
    // A row model reads its rows by their key alone.
    readsBy: [],
    ...p,
    rows: model,
    handle: (trx: Knex.Transaction, e: StoredEvent) => applyRows(trx, model, [e]),
    handleBatch: (trx: Knex.Transaction, events: readonly StoredEvent[], known?: KnownRows) => applyRows(trx, model, events, known),
    plan: (q: Knex, events: readonly StoredEvent[], known?: KnownRows) => planRows(q, model, events, known),
  };
  return projection;
}

/** A condition that holds while these tables are the ones there now (their oids). */
async function tablesNow(db: Knex, names: readonly string[]): Promise<Condition> {
  const { rows } = await db.raw<{ rows: { oids: string }[] }>('select ?::regclass[]::oid[]::text as oids', [[...names]]);
  // Names bound as text, resolved as the statement runs, once its locks (a swap's) are granted:
  // a regclass parameter would be resolved as it arrives, before it waits on a swap. Each table is
  // named in it too, so that a move without writes also takes their locks, waits for a swap, and
  // resolves the names afresh.
  const locks = names.map((t) => `not exists (select from ${db.client.wrapIdentifier(t) as string} where false)`);
  return { sql: [...locks, '?::text[]::regclass[]::oid[]::text = ?'].join(' and '), bindings: [[...names], rows[0]!.oids] };
}

/** Applies events in order, through handleBatch where the projection has one. */
export async function applyEvents(trx: Knex.Transaction, p: Projection, events: readonly StoredEvent[], known?: KnownRows): Promise<void> {
  if (p.handleBatch) return p.handleBatch(trx, events, known);
  for (const e of events) await p.handle(trx, e);
}

/**
 * The projection as a subscriber of the log: a batch and its checkpoint in one transaction, or,
 * for a projection that plans it, in one statement (applyMoving). `name` and `prepare` let the rebuild run
 * it into its shadow tables under its own checkpoint, `fresh` with what it knows of them.
 */
export function projectionSubscriber(
  db: Knex,
  p: Projection,
  options: { name?: string; prepare?: (trx: Knex.Transaction) => Promise<unknown>; fresh?: KnownRows } = {},
): Subscriber {
  const name = options.name ?? p.name;
  const known = knownRows();
  /**
   * The read model's tables as they were when what is known was first read: a rebuild's swap
   * replaces them (new tables, possibly at the very checkpoint this subscriber left), and a move
   * on what is known then fails and forgets it.
   */
  let tables: Condition | undefined;
  const forget = () => {
    known.forget();
    tables = undefined;
  };
  /** A planned batch: 'transaction' when the projection cannot plan it. */
  async function planned(events: readonly StoredEvent[], commit: CommitCheckpoint): Promise<void | 'unchanged' | 'transaction'> {
    if (!known.begin(commit.from)) tables = undefined;
    try {
      tables ??= await tablesNow(db, p.tables);
      const writes = await p.plan!(db, events, known);
      if (!writes) {
        forget(); // the transaction writes rows it would not know of
        return 'transaction';
      }
      if (writes.length === 0 && !known.consulted()) {
        known.unchanged(commit.to);
        return 'unchanged';
      }
      // Nothing to write may rest on rows it knew: the move, on the tables' condition, confirms them
      // (an idle move would not check that a rebuild swapped other tables in).
      if (!(await applyMoving(db, writes, commit.sql(tables)))) throw movedError(name);
      known.wrote(commit.to);
    } catch (err) {
      forget();
      throw err;
    }
  }
  return {
    name,
    version: p.version,
    eventTypes: p.eventTypes,
    deadLetters: true,
    async handle(events, commit) {
      if (p.plan && !options.prepare) {
        const outcome = await planned(events, commit);
        if (outcome !== 'transaction') return outcome;
      }
      await db.transaction(async (trx) => {
        await options.prepare?.(trx);
        await applyEvents(trx, p, events, options.fresh);
        await commit(trx);
      });
    },
  };
}
