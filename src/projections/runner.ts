import type { Knex } from 'knex';
import { type StoredEvent, fromRecorded } from '../eventstore/envelope.js';
import { type EventStore, type Position, START, comparePositions, formatPosition } from '../eventstore/port.js';
import { Backoff } from '../shared/backoff.js';
import { type Incident, errorText, incident } from '../shared/incident.js';
import type { Logger } from '../shared/logger.js';
import { type RebuildProgress, rebuildProjection } from './rebuild.js';
import type { RowModel } from './rows.js';

/**
 * A projection: a named, versioned subscriber that turns events of some types into read-model
 * rows. Its handler writes with the transaction it is given; the runner stores the checkpoint
 * in that same transaction, so each event takes effect on the read model exactly once
 * whatever crashes.
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  /** The read-model tables it owns (and a rebuild empties). */
  readonly tables: readonly string[];
  handle(trx: Knex.Transaction, event: StoredEvent): Promise<void>;
  /** One row per aggregate, as a pure reducer (rows.ts): lets replays fold in memory. */
  readonly rows?: RowModel;
  /** Optional: a whole batch at once (same effect as handle in order, fewer round trips). */
  handleBatch?(trx: Knex.Transaction, events: readonly StoredEvent[]): Promise<void>;
}

/** Applies events in order, through handleBatch where the projection has one. */
export async function applyEvents(trx: Knex.Transaction, p: Projection, events: readonly StoredEvent[]): Promise<void> {
  if (p.handleBatch) return p.handleBatch(trx, events);
  for (const e of events) await p.handle(trx, e);
}

export interface ProjectionRunner {
  start(): void;
  stop(): Promise<void>;
  /**
   * Waits until `projection` has processed everything up to `position`: 'reached', 'timeout',
   * or 'beyond-head' when the log itself has not reached it (no command answered with it).
   */
  waitFor(projection: string, position: Position, timeoutMs: number): Promise<'reached' | 'timeout' | 'beyond-head'>;
  /** In-memory progress, for health output. */
  status(): ProjectionStatus[];
}

export interface ProjectionStatus {
  name: string;
  version: number;
  checkpoint: Position;
  caughtUp: boolean;
  error?: string;
  rebuilding?: RebuildProgress;
}

interface Progress {
  checkpoint: Position;
  caughtUp: boolean;
  error?: string;
  rebuilding?: RebuildProgress;
  waiters: Set<() => void>;
}

class CheckpointMovedError extends Error {}

/** An idle subscription still moves its checkpoint; writing that down this often is enough. */
const IDLE_CHECKPOINT_EVERY_MS = 5_000;

export function createProjectionRunner(deps: {
  store: EventStore;
  db: Knex;
  projections: readonly Projection[];
  log: Logger;
  batchSize?: number;
}): ProjectionRunner {
  const controller = new AbortController();
  const progress = new Map<string, Progress>();
  const loops: Promise<void>[] = [];
  for (const p of deps.projections) {
    progress.set(p.name, { checkpoint: START, caughtUp: false, waiters: new Set() });
  }

  async function loadCheckpoint(p: Projection): Promise<Position> {
    const row = await deps.db('projection_checkpoints').where({ name: p.name }).first();
    if (!row) {
      await deps.db('projection_checkpoints')
        .insert({ name: p.name, version: p.version, position_commit: '0', position_prepare: '0' })
        .onConflict('name')
        .ignore();
      return START;
    }
    const stored = { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) };
    if (Number(row.version) > p.version) {
      // A newer instance has already swapped its version in (a rolling deploy): do not fight it.
      throw new Error(`projection ${p.name} is at version ${row.version} in the database, newer than this code's ${p.version}; not projecting`);
    }
    if (Number(row.version) < p.version) {
      // A new version rebuilds beside the old tables, which keep answering, then swaps in.
      // Until then the old tables' checkpoint is what they answer for.
      advance(p.name, stored, false);
      deps.log.info('projection version changed: rebuilding from position 0 beside the serving tables', {
        projection: p.name,
        from_version: Number(row.version),
        to_version: p.version,
      });
      const pr = progress.get(p.name)!;
      const done = await rebuildProjection({ db: deps.db, store: deps.store }, p, {
        signal: controller.signal,
        onProgress: (r) => (pr.rebuilding = r),
      });
      delete pr.rebuilding;
      deps.log.info('projection rebuilt and swapped in', { projection: p.name, events: done.done, ms: done.elapsedMs });
      return done.position;
    }
    return stored;
  }

  /** Moves the stored checkpoint from `from` to `to`; fails if another runner moved it first. */
  async function saveCheckpoint(trx: Knex.Transaction, p: Projection, from: Position, to: Position): Promise<void> {
    const updated = await trx('projection_checkpoints')
      .where({ name: p.name, position_commit: from.commit.toString(), position_prepare: from.prepare.toString() })
      .update({ position_commit: to.commit.toString(), position_prepare: to.prepare.toString(), updated_at: trx.fn.now() });
    if (updated !== 1) throw new CheckpointMovedError(`checkpoint of ${p.name} moved under this runner`);
  }

  function advance(name: string, checkpoint: Position, caughtUp: boolean): void {
    const pr = progress.get(name)!;
    pr.checkpoint = checkpoint;
    pr.caughtUp = caughtUp;
    delete pr.error;
    for (const w of pr.waiters) w();
  }

  async function runOnce(p: Projection, outage: Incident): Promise<void> {
    let stored = await loadCheckpoint(p);
    advance(p.name, stored, false);
    let lastWrite = Date.now();
    for await (const batch of deps.store.subscribeToAll({
      after: stored,
      filter: { eventTypes: p.eventTypes },
      batchSize: deps.batchSize ?? 500,
      signal: controller.signal,
    })) {
      if (batch.events.length > 0 || Date.now() - lastWrite >= IDLE_CHECKPOINT_EVERY_MS) {
        await deps.db
          .transaction(async (trx) => {
            await applyEvents(trx, p, batch.events.map((r) => fromRecorded(r)));
            await saveCheckpoint(trx, p, stored, batch.checkpoint);
          })
          .catch((err: unknown) => {
            if (err instanceof CheckpointMovedError || batch.events.length === 0) throw err;
            // Name the events, so that an operator can find what the handler could not apply.
            const first = batch.events[0]!;
            const last = batch.events.at(-1)!;
            const range = first === last ? `event ${first.eventId}` : `events ${first.eventId} (${first.streamId}) .. ${last.eventId}`;
            throw new Error(`${err instanceof Error ? err.message : String(err)} (applying ${range})`);
          });
        stored = batch.checkpoint;
        lastWrite = Date.now();
      }
      // Waiters may be released on the in-memory checkpoint: nothing below it is unhandled.
      advance(p.name, batch.checkpoint, batch.caughtUp);
      outage.recover({ checkpoint: formatPosition(batch.checkpoint) });
    }
  }

  /**
   * Runs the projection until stopped: a failure (the database gone, a batch the handler cannot
   * apply) restarts it from its stored checkpoint with capped backoff that a stop cuts short,
   * logging one line when the failures begin and one when the projection resumes.
   */
  async function loop(p: Projection): Promise<void> {
    const backoff = new Backoff({ initialMs: 200, maxMs: 10_000 });
    const outage = incident(deps.log, 'projection', { projection: p.name });
    while (!controller.signal.aborted) {
      try {
        await runOnce(p, outage);
        backoff.reset();
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err instanceof CheckpointMovedError) {
          // A rebuild swapped new tables in, or another runner got ahead: resume from the store.
          deps.log.info('projection checkpoint moved; resuming from the stored one', { projection: p.name });
          continue;
        }
        progress.get(p.name)!.error = errorText(err);
        outage.fail(err, { checkpoint: formatPosition(progress.get(p.name)!.checkpoint) });
        await backoff.wait(controller.signal);
      }
    }
  }

  return {
    start() {
      for (const p of deps.projections) loops.push(loop(p));
    },
    async stop() {
      controller.abort();
      await Promise.allSettled(loops);
    },
    async waitFor(name, position, timeoutMs) {
      const pr = progress.get(name);
      if (!pr) throw new Error(`unknown projection ${name}`);
      if (comparePositions(pr.checkpoint, position) >= 0) return 'reached';
      // A command answers with a position it committed, so the log's head is at or past it; a
      // position past the head came from nowhere, and waiting for it would only time out.
      if (comparePositions(position, await deps.store.headPosition()) > 0) return 'beyond-head';
      return new Promise((resolve) => {
        const check = () => {
          if (comparePositions(pr.checkpoint, position) >= 0) finish('reached');
        };
        const finish = (outcome: 'reached' | 'timeout') => {
          clearTimeout(timer);
          pr.waiters.delete(check);
          resolve(outcome);
        };
        const timer = setTimeout(() => finish('timeout'), timeoutMs);
        pr.waiters.add(check);
        check();
      });
    },
    status() {
      return deps.projections.map((p) => {
        const pr = progress.get(p.name)!;
        return {
          name: p.name,
          version: p.version,
          checkpoint: pr.checkpoint,
          caughtUp: pr.caughtUp,
          ...(pr.error ? { error: pr.error } : {}),
          ...(pr.rebuilding ? { rebuilding: pr.rebuilding } : {}),
        };
      });
    },
  };
}
