/**
 * The EventStoreDB adapter of the event store port (@eventstore/db-client v6, gRPC).
 *
 * Where EventStoreDB and the port differ, the adapter bridges:
 * - $all positions: readAll's fromPosition is inclusive, the port's `after` is exclusive, so
 *   anything at or before `after` is dropped client-side (subscriptions too, defensively).
 * - System events ($-prefixed types, $-prefixed streams) never leave the adapter.
 * - readAll has no server-side filter in client v6, so readAll filters client-side;
 *   subscriptions filter on the server and re-check client-side.
 * - Subscription markers (caughtUp, fellBehind, filter checkpoints) are signalled out of band
 *   by the client, while events wait in the Readable's buffer; see subscribeToAll for how
 *   they are put back in order.
 */
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START as ESDB_START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
} from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendExpectedRevision,
  Filter,
  Position as EsdbPosition,
  RecordedEvent as EsdbRecordedEvent,
  StreamingRead,
} from '@eventstore/db-client';

import {
  START,
  WrongExpectedRevisionError,
  comparePositions,
  type AllFilter,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type JsonObject,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type SubscriptionBatch,
} from '../port.js';

const DEFAULT_BATCH_SIZE = 100;

export function createEventStoreDbStore(connectionString: string): EventStore {
  const client = EventStoreDBClient.connectionString(connectionString);

  async function append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    // With no events the server answers "success" without a usable revision (the client
    // reads an absent revision as 0), so check the expectation against the stream ourselves.
    if (events.length === 0) return appendNothing(streamId, expected);

    const proposed = events.map((e) =>
      jsonEvent({ id: e.eventId, type: e.eventType, data: e.data, metadata: e.metadata }),
    );
    try {
      const result = await client.appendToStream(streamId, proposed, {
        expectedRevision: toEsdbExpected(expected),
      });
      if (!result.position) {
        // Only servers older than 20.6 omit it; the port cannot do without it.
        throw new Error(`EventStoreDB returned no position for the append to ${streamId}`);
      }
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        position: fromEsdbPosition(result.position),
      };
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) {
        const actual = err.actualVersion;
        // 'no_stream' (and -1 from older servers) both mean the stream does not exist.
        throw new WrongExpectedRevisionError(
          streamId,
          expected,
          typeof actual === 'bigint' && actual >= 0n ? actual : undefined,
        );
      }
      throw err;
    }
  }

  async function appendNothing(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const [last] = await readStream(streamId, { direction: 'backwards', maxCount: 1 });
    const actual = last?.revision;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && actual === undefined) ||
      (expected === 'stream_exists' && actual !== undefined) ||
      (typeof expected === 'bigint' && actual === expected);
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, actual);
    // -1 for an absent stream, as the PostgreSQL store reports it.
    return { nextExpectedRevision: actual ?? -1n, position: last?.position ?? START };
  }

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
    try {
      for await (const resolved of drain(read)) {
        if (resolved.event) out.push(toRecorded(resolved.event));
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
    return out;
  }

  async function readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? START;
    const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (maxCount <= 0) return [];
    const matches = compileFilter(options.filter);
    // No server maxCount: system and filtered-out events count against it, so read until
    // enough events matched and cancel the rest of the read (drain does that on break).
    const read = client.readAll({ direction: FORWARDS, fromPosition: toReadPosition(after) });
    const out: RecordedEvent[] = [];
    for await (const resolved of drain(read)) {
      const event = resolved.event;
      if (!event || isSystem(event)) continue;
      if (comparePositions(event.position, after) <= 0) continue; // fromPosition is inclusive
      if (!matches(event.streamId, event.type)) continue;
      out.push(toRecorded(event));
      if (out.length >= maxCount) break;
    }
    return out;
  }

  async function headPosition(): Promise<Position> {
    // Backwards from the end; system events (stats, scavenges...) may sit on top of the log,
    // so keep reading until a user event, and cancel the rest.
    const read = client.readAll({ direction: BACKWARDS, fromPosition: END });
    for await (const resolved of drain(read)) {
      const event = resolved.event;
      if (event && !isSystem(event)) return fromEsdbPosition(event.position);
    }
    return START;
  }

  async function* subscribeToAll(options: SubscribeOptions = {}): AsyncGenerator<SubscriptionBatch> {
    const { signal } = options;
    if (signal?.aborted) return;
    const after = options.after ?? START;
    const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    const matches = compileFilter(options.filter);

    // Fallback for servers that do not send the caughtUp signal (before 23.10): caught up once
    // the checkpoint reaches the head as it stood when we subscribed.
    const headAtStart = await headPosition();
    if (signal?.aborted) return;

    // Wake-up plumbing: every listener below calls notify; the loop sleeps on `wake`.
    let pending = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      pending = true;
      const w = wake;
      wake = undefined;
      w?.();
    };

    // Markers arrive synchronously from the client's _transform while earlier events still
    // sit unread in the Readable's buffer (we read in paused mode, so every pushed event is
    // buffered). A marker therefore applies after exactly `readableLength` more reads.
    // This is why we pull with read() rather than for-await: the async iterator takes an
    // event out of the buffer some microtasks before we see it, which would blur the count.
    const markers: Marker[] = [];
    let consumed = 0;
    const mark = (marker: MarkerKind): void => {
      markers.push({ ...marker, dueAt: consumed + sub.readableLength });
      notify();
    };

    const sub: AllStreamSubscription = client.subscribeToAll({
      fromPosition: toReadPosition(after),
      filter: serverFilter(options.filter, (_subscription, position) =>
        mark({ kind: 'checkpoint', position: fromEsdbPosition(position) }),
      ),
    });

    let failure: Error | undefined;
    let ended = false;
    const onError = (err: Error): void => {
      failure = err;
      notify();
    };
    const onEnd = (): void => {
      ended = true;
      notify();
    };
    const onCaughtUp = (): void => mark({ kind: 'caughtUp' });
    const onFellBehind = (): void => mark({ kind: 'fellBehind' });
    sub.on('error', onError);
    sub.on('end', onEnd);
    sub.on('close', onEnd);
    sub.on('readable', notify); // also keeps the stream in paused mode
    sub.on('caughtUp', onCaughtUp);
    sub.on('fellBehind', onFellBehind);
    signal?.addEventListener('abort', notify);

    let checkpoint = after;
    let serverSignalled = false; // the server speaks caughtUp/fellBehind: trust only it
    let serverLive = false;
    let lastCheckpoint = after;
    let lastCaughtUp = false;
    const advance = (p: Position): void => {
      // Never move back: some server versions repeat stale checkpoints once live.
      if (comparePositions(p, checkpoint) > 0) checkpoint = p;
    };
    const applyDueMarkers = (): void => {
      while (markers.length > 0 && markers[0]!.dueAt <= consumed) {
        const marker = markers.shift()!;
        if (marker.kind === 'checkpoint') advance(marker.position);
        else {
          serverSignalled = true;
          serverLive = marker.kind === 'caughtUp';
        }
      }
    };
    const isLive = (): boolean =>
      serverSignalled ? serverLive : comparePositions(checkpoint, headAtStart) >= 0;

    try {
      for (;;) {
        pending = false;
        applyDueMarkers();
        const events: RecordedEvent[] = [];
        while (events.length < batchSize && !signal?.aborted && failure === undefined) {
          // Object-mode Readable: read() is typed any, it yields the client's resolved events.
          const resolved = sub.read() as AllStreamResolvedEvent | null;
          if (resolved === null) break;
          consumed += 1;
          const event = resolved.event;
          // ESDB resumes after fromPosition already; the check only guards the exclusive bound.
          if (event && comparePositions(event.position, after) > 0) {
            // Filtered-out and system events still move the checkpoint: they are behind us.
            advance(fromEsdbPosition(event.position));
            if (!isSystem(event) && matches(event.streamId, event.type)) {
              events.push(toRecorded(event));
            }
          }
          applyDueMarkers();
        }
        if (signal?.aborted) return;
        if (failure !== undefined) throw failure;

        const caughtUp = isLive() && sub.readableLength === 0;
        if (
          events.length > 0 ||
          caughtUp !== lastCaughtUp ||
          comparePositions(checkpoint, lastCheckpoint) !== 0
        ) {
          lastCheckpoint = checkpoint;
          lastCaughtUp = caughtUp;
          yield { events, checkpoint, caughtUp };
          continue;
        }
        if (ended) throw new Error('EventStoreDB subscription to $all ended unexpectedly');
        if (!pending) await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      signal?.removeEventListener('abort', notify);
      sub.off('end', onEnd);
      sub.off('close', onEnd);
      sub.off('readable', notify);
      sub.off('caughtUp', onCaughtUp);
      sub.off('fellBehind', onFellBehind);
      sub.off('error', onError);
      // A late error from a dying stream must not become an unhandled 'error' event.
      sub.on('error', () => undefined);
      try {
        await sub.unsubscribe();
      } catch {
        // The gRPC call never started or is already gone: nothing to cancel.
      }
      sub.destroy();
    }
  }

  return {
    append,
    readStream,
    readAll,
    headPosition,
    subscribeToAll,
    close: () => client.dispose(),
  };
}

type MarkerKind =
  | { readonly kind: 'caughtUp' }
  | { readonly kind: 'fellBehind' }
  | { readonly kind: 'checkpoint'; readonly position: Position };
type Marker = MarkerKind & { readonly dueAt: number };

/** Iterates a read and cancels the gRPC call when the consumer stops early or it fails. */
async function* drain<E>(read: StreamingRead<E>): AsyncGenerator<E> {
  let complete = false;
  try {
    for await (const item of read) yield item;
    complete = true;
  } finally {
    // Breaking out destroys the Readable but leaves the server streaming; cancel the call.
    if (!complete) await read.cancel().catch(() => undefined);
  }
}

/**
 * The server-side filter of a subscription. A filter is always sent, excludeSystemEvents at
 * least, because only filtered subscriptions get checkpoints past events they do not deliver.
 * The server filters on one thing only: with both event types and stream prefixes, types go
 * to the server and compileFilter applies the prefixes.
 */
function serverFilter(
  filter: AllFilter | undefined,
  checkpointReached: NonNullable<Filter['checkpointReached']>,
): Filter {
  // checkpointInterval 1: a checkpoint every server search window (32 events read).
  const common = { checkpointInterval: 1, checkpointReached };
  const types = filter?.eventTypes;
  const prefixes = filter?.streamPrefixes;
  if (types && types.length > 0) {
    // Exact types: prefixes would let "DealWon" through for "Deal".
    return eventTypeFilter({ regex: `^(?:${types.map(escapeRegex).join('|')})$`, ...common });
  }
  if (prefixes && prefixes.length > 0) {
    return streamNameFilter({ prefixes: [...prefixes], ...common });
  }
  // No filter, or an empty list (which matches nothing; compileFilter drops everything).
  return excludeSystemEvents(common);
}

/** The client-side check of AllFilter: both parts must match; an empty list matches nothing. */
function compileFilter(filter: AllFilter | undefined): (streamId: string, type: string) => boolean {
  const types = filter?.eventTypes ? new Set(filter.eventTypes) : undefined;
  const prefixes = filter?.streamPrefixes;
  return (streamId, type) =>
    (types === undefined || types.has(type)) &&
    (prefixes === undefined || prefixes.some((p) => streamId.startsWith(p)));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isSystem(event: { readonly streamId: string; readonly type: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'any':
      return ANY;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

/** START means "from the beginning": the first event of $all may well be at 0/0. */
function toReadPosition(after: Position): typeof ESDB_START | EsdbPosition {
  return comparePositions(after, START) === 0
    ? ESDB_START
    : { commit: after.commit, prepare: after.prepare };
}

function fromEsdbPosition(p: EsdbPosition): Position {
  return { commit: p.commit, prepare: p.prepare };
}

function toRecorded(event: EsdbRecordedEvent): RecordedEvent {
  if (!event.position) {
    // Stream reads carry positions from server 22.6 on; the port needs them.
    throw new Error(`EventStoreDB returned no position for ${event.streamId}@${event.revision}`);
  }
  return {
    streamId: event.streamId,
    revision: event.revision,
    position: fromEsdbPosition(event.position),
    eventId: event.id,
    eventType: event.type,
    data: toJsonObject(event.data, `data of ${event.streamId}@${event.revision}`),
    metadata:
      event.metadata === undefined
        ? {}
        : toJsonObject(event.metadata, `metadata of ${event.streamId}@${event.revision}`),
    created: event.created,
  };
}

/**
 * The client parses JSON events itself; events written as binary (by other tools) arrive as
 * bytes, and are read as JSON if they are. Anything not a JSON object is an error: the port
 * promises objects.
 */
function toJsonObject(value: unknown, what: string): JsonObject {
  let parsed: unknown = value;
  if (value instanceof Uint8Array) {
    if (value.length === 0) return {};
    try {
      parsed = JSON.parse(Buffer.from(value).toString('utf8'));
    } catch {
      throw new Error(`EventStoreDB ${what} is not JSON`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`EventStoreDB ${what} is not a JSON object`);
  }
  // It came out of JSON.parse (ours or the client's), so it is JSON all the way down.
  return parsed as JsonObject;
}
