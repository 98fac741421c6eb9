import type { Knex } from 'knex';
import { statementName } from '../db/statementName.js';
import { type Position, START } from '../eventstore/port.js';

/**
 * The one checkpoint table (projection_checkpoints) of every subscriber: projections, their
 * rebuilds, the Kafka outbound. A checkpoint only moves conditionally, from the position its
 * mover read, so two movers can never both apply the same events: the second finds it moved.
 */
export interface StoredCheckpoint {
  readonly position: Position;
  readonly version: number;
}

interface Row {
  name: string;
  version: number | string;
  position_commit: string;
  position_prepare: string;
}

export const TABLE = 'projection_checkpoints';

export const positionOf = (row: { position_commit: string; position_prepare: string }): Position => ({
  commit: BigInt(row.position_commit),
  prepare: BigInt(row.position_prepare),
});

/**
 * The stored checkpoint; one that is missing is created at `first()` (START by default: a
 * subscriber that must not act on history, a workflow or a feed to another system, begins at
 * the head of the log on its first start).
 */
export async function loadCheckpoint(db: Knex, name: string, version: number, first?: () => Promise<Position>): Promise<StoredCheckpoint> {
  const row = (await db(TABLE).where({ name }).first()) as Row | undefined;
  if (row) return { position: positionOf(row), version: Number(row.version) };
  const position = first ? await first() : START;
  await db(TABLE)
    .insert({ name, version, position_commit: position.commit.toString(), position_prepare: position.prepare.toString() })
    .onConflict('name')
    .ignore();
  return loadCheckpoint(db, name, version);
}

/** Every stored checkpoint by name, for instances that do not run a subscription but answer for it. */
export async function readCheckpoints(db: Knex, names: readonly string[]): Promise<Map<string, Position>> {
  const rows = (await db(TABLE).whereIn('name', names as string[]).select('name', 'position_commit', 'position_prepare')) as Row[];
  return new Map(rows.map((r) => [r.name, positionOf(r)]));
}

/** Another mover got there first (an instance that took over, a rebuild that swapped in). */
export class CheckpointMovedError extends Error {
  override name = 'CheckpointMovedError';
}

/** Who may move a checkpoint: the holder of the subscription's lease while it lasts. */
export interface Fence {
  readonly name: string;
  readonly holder: string;
}

export interface CheckpointMove {
  readonly name: string;
  readonly version: number;
  readonly from: Position;
  readonly to: Position;
  readonly fence?: Fence;
}

/**
 * Moves `name` from `from` to `to`, in `q`'s transaction when it is one (then the move commits
 * with the effects, exactly once). With a fence, only while the lease is still held: a holder
 * that stalled past its lease cannot commit over the instance that took over.
 */
export async function moveCheckpoint(q: Knex | Knex.Transaction, move: CheckpointMove): Promise<void> {
  const { sql, bindings } = moveCheckpointSql(move);
  const { rowCount } = await q.raw<{ rowCount: number | null }>(sql, bindings).options({ name: statementName(sql) });
  if (rowCount !== 1) throw movedError(move.name);
}

/**
 * The conditional move as SQL (one of two fixed texts, planned once per connection) returning
 * a row when it moved: also the first part of a statement that writes the effects with it
 * (rows.ts), so atomic without a transaction.
 */
export function moveCheckpointSql(move: CheckpointMove, also?: Condition): { readonly sql: string; readonly bindings: readonly Knex.Value[] } {
  const bindings = [
    move.to.commit.toString(),
    move.to.prepare.toString(),
    move.name,
    move.version,
    move.from.commit.toString(),
    move.from.prepare.toString(),
    ...(move.fence ? [move.fence.name, move.fence.holder] : []),
    ...(also?.bindings ?? []),
  ];
  return { sql: (move.fence ? FENCED_MOVE : MOVE) + (also ? ` and ${also.sql}` : '') + RETURNING, bindings };
}

/** One more condition the move must meet (an SQL boolean and its bindings). */
export interface Condition {
  readonly sql: string;
  readonly bindings: readonly Knex.Value[];
}

const MOVE =
  `update ${TABLE} set position_commit = ?, position_prepare = ?, updated_at = current_timestamp` +
  ' where name = ? and version = ? and position_commit = ? and position_prepare = ?';
const FENCED_MOVE = `${MOVE} and exists (select 1 from subscription_leases where name = ? and holder = ? and expires_at > clock_timestamp())`;
const RETURNING = ' returning name';

/** A move handed to a subscriber with its batch: run it in the effects' transaction, or as part of their statement. */
export interface CommitCheckpoint {
  (q: Knex | Knex.Transaction): Promise<void>;
  /** The same move as SQL, to join the statement writing the effects; only when `also` holds too. */
  readonly sql: (also?: Condition) => ReturnType<typeof moveCheckpointSql>;
  /** Where it moves from (the stored checkpoint the batch was read after) and to. */
  readonly from: Position;
  readonly to: Position;
}

export const commitOf = (move: CheckpointMove): CommitCheckpoint =>
  Object.assign((q: Knex | Knex.Transaction) => moveCheckpoint(q, move), { sql: (also?: Condition) => moveCheckpointSql(move, also), from: move.from, to: move.to });

export const movedError = (name: string) => new CheckpointMovedError(`the checkpoint of ${name} moved under this subscriber, or its lease ended`);
