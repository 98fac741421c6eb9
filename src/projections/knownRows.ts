import { type Position, comparePositions } from '../eventstore/port.js';
import type { Row } from './rows.js';

/**
 * The rows a live projection last read or wrote, by table and key (null: known to be absent),
 * so that a batch on the same rows need not read them again (issue 14: the read was a quarter of
 * PostgreSQL's time in W2). Only the lease holder writes a read model, and always with its
 * checkpoint's move: while the checkpoint is where this subscriber left it, nobody else wrote,
 * and what it knows is what is stored. Nor did anybody when it stands past that but within
 * batches that changed nothing (an idle move, or another instance that handled them the same
 * way). A batch read after any other position (another instance's writes, a rebuild's swap)
 * starts from nothing. What a batch learns counts once its writes have committed with the move.
 * It knows rows as the reducer returned them, not as read back: reducers meet both forms already
 * (a batch folds onto its own output), and the batch tests hold the paths equal.
 */
export interface KnownRows {
  /** The stored row, null when there is none, undefined when not known. */
  get(table: string, key: string): Row | null | undefined;
  /** The row after this batch (pending until the batch is done). */
  learn(table: string, key: string, row: Row | null): void;
}

export interface KnownRowsControl extends KnownRows {
  /** Before a batch read after `from`: forgets everything (false) unless the checkpoint is where this left it. */
  begin(from: Position): boolean;
  /** The batch's writes committed with the checkpoint's move to `to`. */
  wrote(to: Position): void;
  /** The batch, up to `to`, changed nothing. */
  unchanged(to: Position): void;
  /** Whether the batch looked at any stored row (read or known): then its outcome rests on them. */
  consulted(): boolean;
  /** Something unknown happened (a failure, writes in a transaction): nothing is known any more. */
  forget(): void;
}

/** Rows kept per table at most: the least recently used go first. */
const CAPACITY = 10_000;

export function knownRows(capacity = CAPACITY): KnownRowsControl {
  const known = new Map<string, Map<string, Row | null>>();
  let pending = new Map<string, Map<string, Row | null>>();
  /** The stored rows are what is known while the checkpoint is in [from, to]. */
  let valid: { from: Position; to: Position } | undefined;
  /** A row of it was asked for (known, or known to be absent) during this batch. */
  let asked = false;
  const forget = () => {
    known.clear();
    pending = new Map();
    valid = undefined;
  };
  const keep = () => {
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
  };
  return {
    get(table, key) {
      const row = known.get(table)?.get(key);
      if (row !== undefined) asked = true;
      return row;
    },
    consulted: () => asked || pending.size > 0,
    learn(table, key, row) {
      let rows = pending.get(table);
      if (!rows) pending.set(table, (rows = new Map()));
      rows.set(key, row);
    },
    begin(from) {
      pending = new Map();
      asked = false;
      if (valid && comparePositions(from, valid.from) >= 0 && comparePositions(from, valid.to) <= 0) return true;
      forget();
      // Nothing known yet, but what this batch reads holds from here.
      valid = { from, to: from };
      return false;
    },
    wrote(to) {
      keep();
      valid = { from: to, to };
    },
    unchanged(to) {
      keep();
      valid = { from: valid?.from ?? to, to };
    },
    forget,
  };
}
