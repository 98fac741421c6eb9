import type { Knex } from 'knex';
import type pg from 'pg';
import { fromRecorded } from '../eventstore/envelope.js';
import { type EventStore, type Position, type ReadPage, START, comparePositions } from '../eventstore/port.js';
import { HandlerFailure, consume } from '../subscriptions/consume.js';
import { freshRows } from './freshRows.js';
import { type Projection, applyEvents, projectionSubscriber } from './projection.js';
import { buildQueryIndexes, dropQueryIndexes } from './shadowIndexes.js';

/**
 * Rebuild without downtime. A projection is rebuilt from position 0 into a shadow schema
 * (`rebuild_<name>`) holding empty copies of its tables, while the live tables in `public`
 * keep answering queries (and may keep being projected by a running service). The handler
 * is the projection's own, unchanged: it writes unqualified table names, and the rebuild's
 * transactions put the shadow schema first on the search_path.
 *
 * When the shadow has caught up, one transaction locks the live tables, applies the last
 * events, drops the live tables, moves the shadow ones into `public` and sets the live
 * checkpoint (and version) to the shadow's: readers wait for that lock for a moment and then
 * see the new tables. A live runner elsewhere finds its checkpoint moved on its next batch and
 * resumes from the new one.
 *
 * An interrupted rebuild resumes: the shadow tables and their checkpoint (`<name>#rebuild`)
 * survive, and the next run carries on from there when the projection's version is the same.
 * The shadow tables copy the live tables' current structure (LIKE ... INCLUDING ALL), so a
 * version that changes the shape ships an expand migration of the live tables first; the
 * indexes only queries use are built once they are filled (shadowIndexes.ts).
 */
export interface RebuildProgress {
  readonly projection: string;
  readonly phase: 'building' | 'swapping' | 'done';
  /** Events applied by this run. */
  readonly done: number;
  /** Events left when this run started (undefined when the store cannot count). */
  readonly total: number | undefined;
  readonly position: Position;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  readonly etaMs: number | undefined;
  readonly resumed: boolean;
}

export class RebuildInProgressError extends Error {
  override name = 'RebuildInProgressError';
}

/**
 * One rebuild of a projection at a time, across processes: a session advisory lock held on a
 * connection of its own for the whole rebuild (two rebuilds would drop each other's shadow).
 */
async function withRebuildLock<T>(db: Knex, p: Projection, work: () => Promise<T>): Promise<T> {
  const key = `rebuild:${p.name}`;
  const conn = (await db.client.acquireConnection()) as pg.Client;
  try {
    const { rows } = await conn.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as ok', [key]);
    if (!rows[0]?.ok) throw new RebuildInProgressError(`a rebuild of ${p.name} is already running`);
    try {
      return await work();
    } finally {
      await conn.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    }
  } finally {
    await db.client.releaseConnection(conn);
  }
}

const shadowSchema = (p: Projection) => `rebuild_${p.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
const shadowCheckpoint = (p: Projection) => `${p.name}#rebuild`;

async function readShadowCheckpoint(db: Knex, p: Projection): Promise<Position | undefined> {
  const row = await db('projection_checkpoints').where({ name: shadowCheckpoint(p) }).first();
  if (!row || Number(row.version) !== p.version) return undefined;
  const schema = shadowSchema(p);
  for (const table of p.tables) {
    const exists = await db.raw<{ rows: unknown[] }>(
      'select 1 from information_schema.tables where table_schema = ? and table_name = ?',
      [schema, table],
    );
    if (exists.rows.length === 0) return undefined;
  }
  return { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) };
}

/** The schema and its empty tables: one round trip for the DDL, one for the storage parameters. */
async function prepareShadow(db: Knex, p: Projection): Promise<void> {
  const schema = shadowSchema(p);
  const id = (name: string) => db.client.wrapIdentifier(name) as string;
  await db.transaction(async (trx) => {
    await trx.raw(
      [
        `drop schema if exists ${id(schema)} cascade`,
        `create schema ${id(schema)}`,
        ...p.tables.map((t) => `create table ${id(schema)}.${id(t)} (like public.${id(t)} including all)`),
      ].join(';\n'),
    );
    // LIKE copies no storage parameters (a fillfactor, an operator's autovacuum settings): the
    // rebuilt table is to keep them.
    const { rows } = await trx.raw<{ rows: { relname: string; reloptions: string[] | null }[] }>(
      `select c.relname, c.reloptions from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relname = any(?)`,
      [[...p.tables]],
    );
    for (const { relname, reloptions } of rows) {
      if (reloptions?.length) await trx.raw(`alter table ??.?? set (${reloptions.join(', ')})`, [schema, relname]);
    }
    await dropQueryIndexes(trx, p, schema);
    await trx('projection_checkpoints')
      .insert({ name: shadowCheckpoint(p), version: p.version, position_commit: '0', position_prepare: '0' })
      .onConflict('name')
      .merge();
  });
}

/** Applies a page of the log read after `after` to the shadow tables; returns the new shadow position. */
async function applyPage(trx: Knex.Transaction, p: Projection, after: Position, page: ReadPage): Promise<Position> {
  if (comparePositions(page.next, after) <= 0) return after;
  if (page.events.length > 0) {
    await applyEvents(trx, p, page.events.map((r) => fromRecorded(r))).catch((err: unknown) => {
      throw new HandlerFailure(page.events, err);
    });
  }
  const moved = await trx('projection_checkpoints')
    .where({ name: shadowCheckpoint(p), version: p.version, position_commit: after.commit.toString(), position_prepare: after.prepare.toString() })
    .update({ position_commit: page.next.commit.toString(), position_prepare: page.next.prepare.toString(), updated_at: trx.fn.now() });
  if (moved !== 1) throw new Error(`the shadow checkpoint of ${p.name} moved under this rebuild`);
  return page.next;
}

const inShadow = async (trx: Knex.Transaction, p: Projection) =>
  trx.raw(`set local search_path to ${trx.client.wrapIdentifier(shadowSchema(p))}, public`);

/**
 * The shadow tables' statistics, gathered whenever they have doubled since the last time and
 * once they are full. Autovacuum comes too late for a table filled in seconds; without any, the
 * planner guessed, and looked a team's member up by the (tenant, user) index rather than its
 * primary key: 0.7 s against 25 ms a page once members share users (bench:rebuild --own-log).
 */
function shadowStatistics(p: Projection, firstAfter: number) {
  let due = firstAfter;
  const analyze = (q: Knex) => q.raw(`analyze ${p.tables.map(() => '??.??').join(', ')}`, p.tables.flatMap((t) => [shadowSchema(p), t]));
  return {
    async whenDue(q: Knex, done: number): Promise<void> {
      if (done < due) return;
      due = done * 2;
      await analyze(q);
    },
    analyze,
  };
}

export function rebuildProjection(
  deps: { db: Knex; store: EventStore },
  projection: Projection,
  options: { batchSize?: number; onProgress?: (p: RebuildProgress) => void; signal?: AbortSignal } = {},
): Promise<RebuildProgress> {
  return withRebuildLock(deps.db, projection, () => rebuildLocked(deps, projection, options));
}

/**
 * Takes over atomically: the live tables are locked only for the last few events. The statements
 * around the last pages go as three round trips: two strings of identifiers only (the simple
 * protocol runs several statements at once), and the checkpoints' moves with bound values.
 */
async function swapIn(db: Knex, store: EventStore, p: Projection, from: Position, batchSize: number): Promise<{ position: Position; applied: number }> {
  const id = (name: string) => db.client.wrapIdentifier(name) as string;
  const schema = id(shadowSchema(p));
  return db.transaction(async (trx) => {
    // Bounded: readers queue behind this request, and a live batch may hold one of the tables
    // (a deadlock otherwise). Timed out, the rebuild fails and resumes on the next run.
    await trx.raw(
      `set local lock_timeout = '3s';\n` +
        `lock table ${p.tables.map((t) => `public.${id(t)}`).join(', ')} in access exclusive mode;\n` +
        `set local search_path to ${schema}, public`,
    );
    let position = from;
    let applied = 0;
    for (;;) {
      const page = await store.readPage({ after: position, maxCount: batchSize, filter: { eventTypes: p.eventTypes } });
      position = await applyPage(trx, p, position, page);
      applied += page.events.length;
      if (page.end) break;
    }
    await trx.raw(
      `with live as (insert into projection_checkpoints (name, version, position_commit, position_prepare) values (?, ?, ?, ?)
         on conflict (name) do update set version = excluded.version, position_commit = excluded.position_commit, position_prepare = excluded.position_prepare)
       delete from projection_checkpoints where name = ?`,
      [p.name, p.version, position.commit.toString(), position.prepare.toString(), shadowCheckpoint(p)],
    );
    await trx.raw(
      [
        'set local search_path to public',
        ...p.tables.flatMap((t) => [`drop table public.${id(t)}`, `alter table ${schema}.${id(t)} set schema public`]),
        `drop schema ${schema} cascade`,
      ].join(';\n'),
    );
    return { position, applied };
  });
}

async function rebuildLocked(
  deps: { db: Knex; store: EventStore },
  projection: Projection,
  options: { batchSize?: number; onProgress?: (p: RebuildProgress) => void; signal?: AbortSignal },
): Promise<RebuildProgress> {
  const { db, store } = deps;
  const batchSize = options.batchSize ?? 5000;
  const filter = { eventTypes: projection.eventTypes };
  const started = Date.now();
  let position = await readShadowCheckpoint(db, projection);
  const resumed = position !== undefined;
  let done = 0;
  let total: number | undefined;
  const progress = (phase: RebuildProgress['phase']): RebuildProgress => {
    const elapsedMs = Date.now() - started;
    const eventsPerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const left = total === undefined ? undefined : Math.max(0, total - done);
    return {
      projection: projection.name,
      phase,
      done,
      total,
      position: position!,
      elapsedMs,
      eventsPerSecond,
      etaMs: left === undefined || eventsPerSecond === 0 ? undefined : (left / eventsPerSecond) * 1000,
      resumed,
    };
  };

  if (!position) {
    await prepareShadow(db, projection);
    position = START;
  }
  // Counted beside the build, not before it: over a long log the count alone takes a while.
  const counted = (store.countEvents?.({ after: position, filter }) ?? Promise.resolve(undefined)).then(
    (n) => void (total = n),
    () => undefined, // progress without a total
  );

  // Build beside the live tables, as a subscriber of its own, until caught up with the log.
  const statistics = shadowStatistics(projection, batchSize);
  const shadow = projectionSubscriber(db, projection, {
    name: shadowCheckpoint(projection),
    prepare: async (trx) => {
      await inShadow(trx, projection);
      await statistics.whenDue(trx, done);
    },
    // Made empty by this run, and written by it alone (the lock): what it has not written is not
    // there. A resumed shadow holds rows an earlier run wrote.
    ...(resumed ? {} : { fresh: freshRows() }),
  });
  position = await consume(shadow, {
    store,
    db,
    after: position,
    signal: options.signal ?? new AbortController().signal,
    batchSize,
    untilCaughtUp: true,
    onBatch: (checkpoint, _caughtUp, handled) => {
      position = checkpoint;
      done += handled;
      options.onProgress?.(progress('building'));
    },
  });
  if (options.signal?.aborted) throw new Error(`rebuild of ${projection.name} interrupted; run it again to resume`);
  await buildQueryIndexes(db, projection, shadowSchema(projection));
  await statistics.analyze(db); // the tables go live with them

  options.onProgress?.(progress('swapping'));
  const swapped = await swapIn(db, store, projection, position, batchSize);
  position = swapped.position;
  done += swapped.applied;
  await counted;
  const summary = progress('done');
  options.onProgress?.(summary);
  return summary;
}
