import pg from 'pg';
import { type DatabaseTimeouts, guardPool, pgOptions } from '../../db/pgOptions.js';
import type { Logger } from '../../shared/logger.js';
import { appendNothing, checkUnchanged, movedError, refuseRepeatedIds, repeatedWrite } from '../appendRules.js';
import { ES_APPEND_SQL, ES_APPEND_STATEMENT, appendParams } from './appendSql.js';
import { groupRunner } from './appendGroup.js';
import { createCommitSignal } from './commitSignal.js';
import type { GroupedAppend } from './appendGroupSql.js';
import { createCallGroups } from '../../db/callGroups.js';
import { statementName } from '../../db/statementName.js';
import { COLUMNS, type EventRow, toRecorded } from './rows.js';
import { filterSql, pageSql } from './pageSql.js';
import { coalescedStreamReads } from './streamReads.js';
import { type TailPage, createTail } from './tail.js';
import {
  DEFAULT_READ_COUNT,
  type AllFilter,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type ReadAllOptions,
  type ReadPage,
  type ReadPageOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type SubscriptionBatch,
  START,
  type UnchangedStream,
  WrongExpectedRevisionError,
  comparePositions,
  WHOLE_COMMIT,
} from '../port.js';

const MAX_SEQ = WHOLE_COMMIT;
/** Live subscriptions poll this often even without a notification (the horizon may move). */
const POLL_MS = 250;
/**
 * A page held below a committed append is read again after this long, doubling to the cap (then
 * the poll). Not sooner: under load the next append's wake-up comes within a few ms anyway, and
 * retries at 1 ms read the log more often than the wake-ups do.
 */
const HELD_RETRY_MS = { first: 10, max: 80 };

function maxPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}

function isPgError(err: unknown): err is pg.DatabaseError {
  return err instanceof Error && 'code' in err;
}

export interface PostgresEventStoreOptions {
  /** Connection string, or an existing pool (which the store then does not close). */
  readonly connection: string | pg.Pool;
  readonly pollMs?: number;
  readonly timeouts?: DatabaseTimeouts;
  /** For the LISTEN wake-up's outages (one line each); silent without. */
  readonly log?: Logger;
  /**
   * Single-event appends: at most `maxInFlight` calls at once, those arriving meanwhile go
   * together in the next (db/callGroups.ts); false sends every append alone.
   */
  readonly appendGroups?: { readonly maxInFlight: number; readonly maxGroup?: number } | false;
  /** The pause between the shared tail's reads (tailPace.ts); by default the event loop's own pacer. */
  readonly tailPace?: () => number;
}

const APPEND_GROUPS = { maxInFlight: 2, maxGroup: 64 };

/** The store, and the pause of its shared tail for /metrics (tail.ts). */
export type PostgresEventStore = EventStore & { readonly tailPause: () => number };

export function createPostgresEventStore(options: PostgresEventStoreOptions): PostgresEventStore {
  const ownsPool = typeof options.connection === 'string';
  const clientConfig: pg.ClientConfig =
    typeof options.connection === 'string'
      ? pgOptions(options.connection, options.timeouts)
      : (options.connection as pg.Pool & { options: pg.PoolConfig }).options;
  // Connections lost under a checked-out client (a restart, a failover) must not end the process.
  const pool = typeof options.connection === 'string' ? guardPool(new pg.Pool({ ...clientConfig, max: 20 })) : options.connection;
  const commits = createCommitSignal({ clientConfig, pool, pollMs: options.pollMs ?? POLL_MS, ...(options.log ? { log: options.log } : {}) });
  const { wakeups } = commits;
  let closed = false;
  /**
   * The newest transaction this store has appended in and seen commit. A page whose horizon is
   * below it was read while an older transaction still ran (a projection's, a checkpoint's):
   * that one's commit wakes nobody, so the reader looks again shortly (HELD_RETRY_MS).
   */
  let appendedUpTo = 0n;
  function announceAppend(commit: bigint): void {
    if (commit > appendedUpTo) appendedUpTo = commit;
    commits.announce();
  }

  async function append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    refuseRepeatedIds(streamId, events);
    const unchanged = options.unchanged ?? [];
    if (events.length === 0) {
      const [last] = await readStream(streamId, { direction: 'backwards', maxCount: 1 });
      const result = appendNothing(streamId, expected, last);
      await checkUnchanged(readStream, unchanged);
      return result;
    }
    if (groups && events.length === 1) return groups.submit(streamId, { streamId, event: events[0]!, expected, unchanged });
    return appendAlone(streamId, events, expected, unchanged);
  }

  async function appendAlone(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    unchanged: readonly UnchangedStream[] = [],
  ): Promise<AppendResult> {
    // A checked-out client rather than pool.query: pg-pool destroys the connection of any
    // query that fails, and a revision conflict is routine, not a broken connection.
    const client = await pool.connect();
    let row: { next_revision: string; transaction_id: string; seq: string | null };
    try {
      const values = appendParams(streamId, expected, events, unchanged);
      const { rows } = await client.query<typeof row>({ name: ES_APPEND_STATEMENT, text: ES_APPEND_SQL, values });
      row = rows[0]!;
    } catch (err) {
      const wrongRevision = isPgError(err) && err.code === 'CR409';
      const moved = isPgError(err) && err.code === 'CR412';
      const storedId = isPgError(err) && err.code === '23505' && err.constraint === 'es_events_event_id';
      client.release(wrongRevision || moved || storedId ? undefined : err instanceof Error ? err : true);
      if (!wrongRevision && !moved && !storedId) throw err;
      // A retried write fails on its expectation or its ids: it is the first write's result.
      const repeated = repeatedWrite(streamId, events, expected, await storedIds(events));
      if (repeated) return repeated;
      const actual = err.detail === 'none' || err.detail === undefined ? undefined : BigInt(err.detail);
      if (moved) throw movedError(unchanged, err.hint, actual);
      throw new WrongExpectedRevisionError(streamId, expected, actual);
    }
    client.release();
    announceAppend(BigInt(row.transaction_id));
    return {
      nextExpectedRevision: BigInt(row.next_revision),
      position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.seq!) },
    };
  }

  const groupOptions = options.appendGroups === undefined ? APPEND_GROUPS : options.appendGroups;
  const groups = groupOptions
    ? createCallGroups<GroupedAppend, AppendResult>({
        maxInFlight: groupOptions.maxInFlight,
        maxGroup: groupOptions.maxGroup ?? APPEND_GROUPS.maxGroup,
        run: groupRunner({ pool, appendAlone, storedIds, announce: announceAppend }),
      })
    : undefined;

  async function storedIds(events: readonly EventToAppend[]) {
    const { rows } = await pool.query<EventRow>(`select ${COLUMNS} from es_events where event_id = any($1::uuid[])`, [
      events.map((e) => e.eventId),
    ]);
    return rows.map(toRecorded);
  }

  const readWholeStream = coalescedStreamReads(pool);

  async function readStream(streamId: string, opts: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (opts.fromRevision === undefined && opts.maxCount === undefined && opts.direction !== 'backwards') return readWholeStream(streamId);
    const backwards = opts.direction === 'backwards';
    const params: unknown[] = [streamId];
    let sql = `select ${COLUMNS} from es_events where stream_id = $1`;
    if (opts.fromRevision !== undefined) {
      params.push(opts.fromRevision.toString());
      sql += ` and revision ${backwards ? '<=' : '>='} $2::bigint`;
    }
    sql += ` order by es_events.revision ${backwards ? 'desc' : 'asc'}`;
    if (opts.maxCount !== undefined) {
      params.push(opts.maxCount);
      sql += ` limit $${params.length}`;
    }
    const { rows } = await pool.query<EventRow>(sql, params);
    return rows.map(toRecorded);
  }

  /**
   * One page of the log after `after`, limited to what lies below the visibility horizon.
   * `horizon` is the checkpoint that covers everything final so far (used when the page is
   * not full: the reader is then caught up to it).
   */
  async function readPage(
    after: Position,
    maxCount: number,
    filter: AllFilter | undefined,
  ): Promise<{ events: RecordedEvent[]; horizon: Position }> {
    const params: unknown[] = [after.commit.toString(), after.prepare.toString(), maxCount];
    const sql = pageSql(filter, params);
    // Planned once per connection: the shared tail (the log's index in order) and a list of
    // types (merged per-type index scans); any other filter per call.
    const name = !filter ? 'es_read_page' : filter.eventTypes?.length ? statementName(sql) : undefined;
    const { rows } = await pool.query<EventRow & { horizon_xmin: string }>({ name, text: sql, values: params });
    const xmin = BigInt(rows[0]!.horizon_xmin);
    const events = rows[0]!.seq === null ? [] : rows.map(toRecorded);
    return { events, horizon: { commit: xmin - 1n, prepare: MAX_SEQ } };
  }

  async function readAll(opts: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { events } = await readPage(opts.after ?? START, opts.maxCount ?? DEFAULT_READ_COUNT, opts.filter);
    return events;
  }

  /** The filter runs in the database: a page costs its matches, so maxScan is not needed. */
  async function readBoundedPage(opts: ReadPageOptions = {}): Promise<ReadPage> {
    const maxCount = Math.max(1, opts.maxCount ?? DEFAULT_READ_COUNT);
    const { events, horizon } = await readPage(opts.after ?? START, maxCount, opts.filter);
    const full = events.length === maxCount;
    return { events, next: full ? events.at(-1)!.position : maxPosition(horizon, opts.after ?? START), end: !full };
  }

  async function headPosition(): Promise<Position> {
    const { rows } = await pool.query<{ transaction_id: string; seq: string }>(
      'select transaction_id::text, seq::text from es_events order by es_events.transaction_id desc, es_events.seq desc limit 1',
    );
    const row = rows[0];
    return row ? { commit: BigInt(row.transaction_id), prepare: BigInt(row.seq) } : START;
  }

  async function countEvents(opts: { after?: Position; filter?: AllFilter }): Promise<number> {
    const after = opts.after ?? START;
    const params: unknown[] = [after.commit.toString(), after.prepare.toString()];
    const sql =
      'select count(*)::text as n from es_events where (transaction_id, seq) > ($1::text::xid8, $2::bigint)' +
      filterSql(opts.filter, params);
    const { rows } = await pool.query<{ n: string }>(sql, params);
    return Number(rows[0]!.n);
  }

  /** Caught-up subscriptions read the head of the log together (tail.ts). */
  const tail = createTail((after, maxCount) => readPage(after, maxCount, undefined), options.tailPace ? { pace: options.tailPace } : {});

  /**
   * Catching up (a full page), the next page is read while the subscriber handles this one: its
   * start is this page's last position whatever the subscriber does, and the database's time
   * then overlaps the handler's (rebuilds, the outbound's backlog). A prefetch left unused (the
   * subscriber stopped or failed) is dropped.
   */
  async function* subscribeToAll(opts: SubscribeOptions = {}): AsyncGenerator<SubscriptionBatch> {
    const batchSize = opts.batchSize ?? 500;
    let after = opts.after ?? START;
    let caughtUp = false;
    let since = performance.now();
    await commits.listen();
    let prefetched: { page: ReturnType<typeof readPage>; seen: number } | undefined;
    let heldRetryMs = HELD_RETRY_MS.first;
    while (!opts.signal?.aborted && !closed) {
      const seen = prefetched?.seen ?? wakeups.count();
      const shared: TailPage | undefined = caughtUp && !prefetched ? await tail.page(after, batchSize, opts.filter, since) : undefined;
      const page: TailPage = shared ?? (await (prefetched?.page ?? readPage(after, batchSize, opts.filter)));
      prefetched = undefined;
      const { events, horizon } = page;
      const full: boolean = events.length === batchSize;
      const last = events.at(-1)?.position;
      const checkpoint = full ? last! : horizon;
      if (full) {
        const page = readPage(checkpoint, batchSize, opts.filter);
        page.catch(() => undefined); // awaited later; unhandled meanwhile it would end the process
        prefetched = { seen: wakeups.count(), page };
      }
      if (events.length > 0 || comparePositions(checkpoint, after) > 0) {
        yield { events, checkpoint, caughtUp: !full };
        after = checkpoint;
      }
      caughtUp = !full;
      if (full) continue;
      if (horizon.commit < appendedUpTo) {
        // Held below an append of ours: looked at again soon, backing off while it stays held.
        since = await wakeups.wait(opts.signal, seen, heldRetryMs);
        heldRetryMs = Math.min(heldRetryMs * 2, HELD_RETRY_MS.max);
      } else {
        heldRetryMs = HELD_RETRY_MS.first;
        since = await wakeups.wait(opts.signal, seen);
      }
    }
  }

  async function close(): Promise<void> {
    closed = true;
    await commits.close();
    if (ownsPool) await pool.end();
  }

  return { append, readStream, readAll, readPage: readBoundedPage, headPosition, countEvents, subscribeToAll, close, tailPause: tail.pause };
}
