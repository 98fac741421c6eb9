import { type Position, comparePositions } from '../eventstore/port.js';
import type { Row } from './rows.js';

/**
 * The rows a live projection last read or wrote, by table and key (null: known to be absent),
 * so that a batch on the same rows need not read them again (issue 14: the read was a quarter of
 * PostgreSQL's time in W2). Only the lease holder writes a read model, and always with its
 * checkpoint's move: while the checkpoint is where this subscriber left it, nobody else wrote,
 * and what it knows is what is stored. A batch read after any other position (another instance
 * moved it, a rebuild swapped in, an idle move) starts from nothing. What a batch learns counts
 * once its writes have committed with the move.
 */
export interface KnownRows {
  /** The stored row, null when there is none, undefined when not known. */
  get(table: string, key: string): Row | null | undefined;
  /** The row after this batch (pending until `keep`). */
  learn(table: string, key: string, row: Row | null): void;
}

export interface KnownRowsControl extends KnownRows {
  /** Before a batch read after `from`: forgets everything unless the checkpoint is where this left it. */
  begin(from: Position): void;
  /** The batch's writes committed with the checkpoint at `at` (or it wrote nothing and it stays there). */
  keep(at: Position): void;
  /** Something unknown happened (a failure, writes in a transaction): nothing is known any more. */
  forget(): void;
}

/** Rows kept per table at most: the least recently used go first. */
const CAPACITY = 10_000;

export function knownRows(capacity = CAPACITY): KnownRowsControl {
  const known = new Map<string, Map<string, Row | null>>();
  let pending = new Map<string, Map<string, Row | null>>();
  let at: Position | undefined;
  const forget = () => {
    known.clear();
    pending = new Map();
    at = undefined;
  };
  return {
    get: (table, key) => known.get(table)?.get(key),
    learn(table, key, row) {
      let rows = pending.get(table);
      if (!rows) pending.set(table, (rows = new Map()));
      rows.set(key, row);
    },
    begin(from) {
      pending = new Map();
      if (at === undefined || comparePositions(at, from) !== 0) forget();
    },
    keep(position) {
      for (const [table, learned] of pending) {
        let rows = known.get(table);
        if (!rows) known.set(table, (rows = new Map()));
        for (const [key, row] of learned) {
          rows.delete(key); // to the end: most recently used
          rows.set(key, row);
        }
        for (const key of rows.keys()) {
          if (rows.size <= capacity) break;
          rows.delete(key);
        }
      }
      pending = new Map();
      at = position;
    },
    forget,
  };
}
