/**
 * The EventStoreDB adapter of the event store port (@eventstore/db-client v6, gRPC).
 *
 * Where EventStoreDB and the port differ, the adapter bridges:
 * - $all positions: readAll's fromPosition is inclusive, the port's `after` is exclusive, so
 *   anything at or before `after` is dropped client-side (subscriptions too, defensively).
 * - System events ($-prefixed types, $-prefixed streams) never leave the adapter.
 * - Reads of $all have no server-side filter in client v6: they filter client-side, and
 *   readPage bounds the records it considers (maxScan) so that sparse filters stay cheap.
 * - Subscriptions filter client-side too; the server only drops system events. A
 *   server-filtered subscription checkpoints once per 32-record search window, so an idle
 *   one would lag the head indefinitely; here every delivered record moves the checkpoint.
 * - caughtUp is measured against the head of the log, read again whenever the subscription
 *   may have reached it: the server's fellBehind signal is never sent, so its caughtUp
 *   signal cannot say when a subscription falls behind again.
 * - Filter checkpoints (past runs of system records) are signalled out of band by the
 *   client while events wait in the Readable's buffer; see subscribeToAll.
 * - Positions of u64 max (what servers before 22.6 send on stream reads) mean "none".
 * - The hash chain is computed here, before an append at an exact revision (append.ts).
 */
import { BACKWARDS, END, EventStoreDBClient, FORWARDS, START as ESDB_START, StreamNotFoundError } from '@eventstore/db-client';
import { chainedAppend } from './append.js';
import {
  DEFAULT_READ_COUNT,
  START,
  comparePositions,
  type AllFilter,
  type EventStore,
  type Position,
  type ReadAllOptions,
  type ReadPage,
  type ReadPageOptions,
  type ReadStreamOptions,
  type RecordedEvent,
} from '../port.js';
import { compileFilter, drain, isSystem, toPosition, toReadPosition, toRecorded } from './convert.js';
import { subscribeToAll } from './subscription.js';

/** readPage considers this many records when maxScan is not given. */
const DEFAULT_MAX_SCAN = 4096;
/** headPosition reads back past at most this many system records on top of the log. */
const HEAD_BUDGET = 1000;

export function createEventStoreDbStore(connectionString: string): EventStore {
  const client = EventStoreDBClient.connectionString(connectionString);

  async function readStream(
    streamId: string,
    options: ReadStreamOptions = {},
  ): Promise<RecordedEvent[]> {
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    const backwards = options.direction === 'backwards';
    const read = client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision ?? (backwards ? END : ESDB_START),
      maxCount: options.maxCount,
    });
    const out: RecordedEvent[] = [];
    let head: Position | undefined;
    try {
      for await (const resolved of drain(read)) {
        const event = resolved.event;
        if (!event) continue;
        // Servers before 22.6 send no position on stream reads: the head is at or after it.
        head ??= toPosition(event.position) ? undefined : await headPosition();
        out.push(toRecorded(event, head));
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
    return out;
  }

  /**
   * At most maxScan records of $all after `after` (inclusive on the server, exclusive here),
   * the matching ones up to maxCount, and where to go on from.
   */
  async function readPage(options: ReadPageOptions = {}): Promise<ReadPage> {
    const after = options.after ?? START;
    const maxCount = Math.max(1, options.maxCount ?? DEFAULT_READ_COUNT);
    const maxScan = Math.max(1, options.maxScan ?? DEFAULT_MAX_SCAN);
    const matches = compileFilter(options.filter);
    const events: RecordedEvent[] = [];
    let next = after;
    // One more than maxScan: the record at `after` itself comes back first.
    const read = client.readAll({ direction: FORWARDS, fromPosition: toReadPosition(after), maxCount: maxScan + 1 });
    let records = 0;
    for await (const resolved of drain(read)) {
      records += 1;
      const event = resolved.event;
      const position = event ? toPosition(event.position) : undefined;
      if (!event || !position || comparePositions(position, after) <= 0) continue;
      next = position;
      if (isSystem(event) || !matches(event.streamId, event.type)) continue;
      events.push(toRecorded(event));
      if (events.length >= maxCount) return { events, next, end: false };
    }
    return { events, next, end: records < maxScan + 1 };
  }

  async function readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? DEFAULT_READ_COUNT;
    const out: RecordedEvent[] = [];
    let after = options.after ?? START;
    while (out.length < maxCount) {
      const page = await readPage({ after, maxCount: maxCount - out.length, filter: options.filter });
      out.push(...page.events);
      if (page.end) break;
      after = page.next;
    }
    return out;
  }

  /** A full count reads every record after `after`: rebuilds use it once, for their total. */
  async function countEvents(options: { after?: Position; filter?: AllFilter }): Promise<number> {
    let count = 0;
    let after = options.after ?? START;
    for (;;) {
      const page = await readPage({ after, maxCount: Number.MAX_SAFE_INTEGER, maxScan: 10_000, filter: options.filter });
      count += page.events.length;
      if (page.end) return count;
      after = page.next;
    }
  }

  async function headPosition(): Promise<Position> {
    // Backwards from the end; system records (stats, scavenges...) may sit on top of the log.
    // Past HEAD_BUDGET of them, the lowest one read is at or above the last event: good enough.
    const read = client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: HEAD_BUDGET });
    let lowest: Position | undefined;
    let records = 0;
    for await (const resolved of drain(read)) {
      const event = resolved.event;
      const position = event ? toPosition(event.position) : undefined;
      records += 1;
      if (!event || !position) continue;
      if (!isSystem(event)) return position;
      lowest = position;
    }
    // The whole log read and no user event in it: empty, as far as the port is concerned.
    return records < HEAD_BUDGET ? START : (lowest ?? START);
  }

  return {
    append: chainedAppend(client, readStream),
    readStream,
    readAll,
    readPage,
    headPosition,
    countEvents,
    subscribeToAll: (options) => subscribeToAll(client, headPosition, options),
    close: () => client.dispose(),
  };
}

