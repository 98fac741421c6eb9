import type { Knex } from 'knex';
import { fromRecorded } from '../eventstore/envelope.js';
import { type EventStore, type Position, START, comparePositions } from '../eventstore/port.js';
import type { Projection } from './runner.js';

export interface RebuildProgress {
  readonly events: number;
  readonly position: Position;
  readonly head: Position;
  readonly elapsedMs: number;
}

/**
 * Rebuilds a projection in place from position 0: empties its tables, replays every event of
 * its types up to the head of the log as it was at the start, and leaves the checkpoint there
 * so the runner continues live. Offline: the projection must not be running meanwhile.
 * (Rebuilding beside the serving version, then swapping, is the replay tool's later job.)
 */
export async function rebuildProjection(
  deps: { db: Knex; store: EventStore },
  projection: Projection,
  options: { batchSize?: number; onProgress?: (p: RebuildProgress) => void } = {},
): Promise<RebuildProgress> {
  const { db, store } = deps;
  const started = Date.now();
  const head = await store.headPosition();
  await db.transaction(async (trx) => {
    for (const table of projection.tables) await trx(table).delete();
    await trx('projection_checkpoints')
      .insert({ name: projection.name, version: projection.version, position_commit: '0', position_prepare: '0' })
      .onConflict('name')
      .merge();
  });

  let position: Position = START;
  let events = 0;
  for (;;) {
    const batch = await store.readAll({ after: position, maxCount: options.batchSize ?? 1000, filter: { eventTypes: projection.eventTypes } });
    const upTo = batch.filter((e) => comparePositions(e.position, head) <= 0);
    if (upTo.length === 0) break;
    const last = upTo.at(-1)!.position;
    await db.transaction(async (trx) => {
      for (const recorded of upTo) await projection.handle(trx, fromRecorded(recorded));
      await trx('projection_checkpoints')
        .where({ name: projection.name })
        .update({ position_commit: last.commit.toString(), position_prepare: last.prepare.toString(), updated_at: trx.fn.now() });
    });
    position = last;
    events += upTo.length;
    options.onProgress?.({ events, position, head, elapsedMs: Date.now() - started });
    if (upTo.length < batch.length) break;
  }
  return { events, position, head, elapsedMs: Date.now() - started };
}
