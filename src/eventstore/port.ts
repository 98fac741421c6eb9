/**
 * The event store port. Two adapters implement it (PostgreSQL, the embedded default, and
 * EventStoreDB); one conformance suite (test/eventstore/conformance.ts) holds both to it.
 *
 * The port knows nothing of the domain: it stores opaque JSON data and metadata per event.
 * The domain envelope (tenant, actor, correlation...) is mapped onto it in envelope.ts.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * A place in the global log, totally ordered. Both stores need two numbers: EventStoreDB's
 * commit/prepare positions, and the PostgreSQL store's (transaction id, sequence) pair, which
 * is what makes its catch-up reads gap-free (see postgres/schema.ts). Compare with
 * comparePositions, never field by field.
 */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const START: Position = Object.freeze({ commit: 0n, prepare: 0n });

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/**
 * "Everything of this commit": the prepare part of a checkpoint that a filtered subscription
 * moved past a whole stretch of the log (the PostgreSQL store's horizon). Written "commit/*".
 */
export const WHOLE_COMMIT = 9223372036854775807n;

/** "commit/prepare": how a position travels in JSON, headers and checkpoints files. */
export function formatPosition(p: Position): string {
  return `${p.commit}/${p.prepare === WHOLE_COMMIT ? '*' : p.prepare}`;
}

export function parsePosition(text: string): Position | undefined {
  const m = /^(\d{1,20})\/(\d{1,20}|\*)$/.exec(text.trim());
  if (!m) return undefined;
  return { commit: BigInt(m[1]!), prepare: m[2] === '*' ? WHOLE_COMMIT : BigInt(m[2]!) };
}

/** What the writer expects the stream to be at: absent, anything, or exactly this revision. */
export type ExpectedRevision = 'no_stream' | 'any' | 'stream_exists' | bigint;

/**
 * Another stream the appended events were decided against (a tenant's stage set), at the
 * revision it was read at (-1: absent). The append is refused with a WrongExpectedRevisionError
 * naming that stream if it has moved since, so a command may decide on a remembered copy of it.
 */
export interface UnchangedStream {
  readonly streamId: string;
  readonly revision: bigint;
}

export interface AppendOptions {
  readonly unchanged?: readonly UnchangedStream[];
}

export interface EventToAppend {
  readonly eventId: string; // uuid
  readonly eventType: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

export interface RecordedEvent {
  readonly streamId: string;
  /** 0-based revision of the event in its stream. */
  readonly revision: bigint;
  readonly position: Position;
  readonly eventId: string;
  readonly eventType: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  /** When the store recorded it. */
  readonly created: Date;
  /**
   * Its link in the stream's hash chain (chain.ts), hex SHA-256, as the store recorded it at
   * append. Absent only on EventStoreDB events written before the chain existed.
   */
  readonly hash?: string;
}

export interface AppendResult {
  /** Revision of the last event written: the stream's new revision. */
  readonly nextExpectedRevision: bigint;
  /** Position of the last event written. */
  readonly position: Position;
}

/**
 * An append carried an event id the store already holds, and not as a repeat of the write that
 * stored it (see EventStore.append).
 */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventIds: readonly string[],
  ) {
    super(`Stream ${streamId}: event id(s) ${eventIds.join(', ')} already stored`);
    this.name = 'DuplicateEventIdError';
  }
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual revision; undefined when the stream does not exist. */
    readonly actual: bigint | undefined,
  ) {
    super(
      `Stream ${streamId}: expected revision ${String(expected)}, actual ${actual === undefined ? 'no stream' : String(actual)}`,
    );
    this.name = 'WrongExpectedRevisionError';
  }
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive start revision; defaults to the start (forwards) or the end (backwards). */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

/**
 * Which events a read or subscription wants: both parts must match. An absent part matches
 * everything; an empty list matches nothing (a subscriber of no event types gets none).
 */
export interface AllFilter {
  readonly eventTypes?: readonly string[];
  readonly streamPrefixes?: readonly string[];
}

/** readAll's and readPage's page size when maxCount is not given. */
export const DEFAULT_READ_COUNT = 1000;

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Defaults to START (everything). */
  readonly after?: Position;
  /** At most this many events (at least 1 for readPage); DEFAULT_READ_COUNT when absent. */
  readonly maxCount?: number;
  readonly filter?: AllFilter;
}

export interface ReadPageOptions extends ReadAllOptions {
  /**
   * Consider at most about this many records of the log (matching or not) before answering,
   * so that a sparse filter over a long log answers promptly. A store that filters in its
   * database (PostgreSQL) has no such cost and may ignore it.
   */
  readonly maxScan?: number;
}

/** A bounded step through the log: go on from `next`, however few events matched. */
export interface ReadPage {
  readonly events: RecordedEvent[];
  /** Everything up to here was considered: the exclusive start of the next page. */
  readonly next: Position;
  /** The page reached the end of the log as it stood. */
  readonly end: boolean;
}

/**
 * One step of a subscription. `checkpoint` is safe to store once `events` have been handled:
 * with a filter it may move past events that were not delivered, so an idle filtered
 * subscriber does not re-scan the log from an old checkpoint on restart.
 */
export interface SubscriptionBatch {
  readonly events: readonly RecordedEvent[];
  readonly checkpoint: Position;
  /**
   * True when this batch reached the head of the log as it stood when it was read; false
   * again whenever the subscriber is behind. A live subscription's checkpoint reaches the head
   * promptly (within the store's poll interval) even when no event matches its filter.
   */
  readonly caughtUp: boolean;
}

export interface SubscribeOptions {
  /** Exclusive: deliver events strictly after this checkpoint. Defaults to START. */
  readonly after?: Position;
  readonly filter?: AllFilter;
  readonly batchSize?: number;
  /** Abort to end the subscription; the iterator then finishes without error. */
  readonly signal?: AbortSignal;
}

export interface EventStore {
  /**
   * Appends atomically: all events or none.
   * - No events: the expectation is checked and nothing is written; the result is the stream's
   *   revision (-1 when absent) and its last event's position (START when absent).
   * - Event ids make a write safe to retry: the same events (ids, in order) appended again to
   *   the same stream, where the first write put them and with an expectation that held for
   *   it, succeed without writing and return the first write's result. Reliable with an exact
   *   revision or no_stream (what the command handler uses); with any or stream_exists,
   *   EventStoreDB recognises a repeat only while its events are the stream's last ones (the
   *   adapter appends at the exact revision it read, to keep the hash chain: esdb/append.ts).
   * - Any other append of a stored id is a DuplicateEventIdError on PostgreSQL. EventStoreDB
   *   keeps no index of ids and checks none on a write at the current revision, so there it
   *   may be stored again: callers never reuse an id (the handler makes a fresh one per event).
   * - `unchanged`: checked after the expectation; a stream that moved refuses the append with a
   *   WrongExpectedRevisionError whose streamId is that stream. Atomic with the write on
   *   PostgreSQL (checked in the append's transaction, each such stream's lock held shared, so a
   *   change to it and this append are ordered); on EventStoreDB, which has no multi-stream
   *   condition, read just before the write (as a read before deciding would be).
   */
  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /**
   * Events of one stream; an empty array for a stream that does not exist. Their positions
   * are exact, except on EventStoreDB servers before 22.6, which send none on stream reads:
   * the adapter then gives the head of the log as read, which lies at or after each of them
   * (right for read-your-writes, which is what a stream read's position is used for).
   */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Events of all streams in global order, after a position, up to maxCount. On EventStoreDB a
   * sparse filter may scan far to fill the page: bounded work uses readPage.
   */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** One bounded step of readAll: what matched within maxScan records, and where to go on. */
  readPage(options?: ReadPageOptions): Promise<ReadPage>;
  /**
   * Position of the last event in the log (START when empty): how far there is to go. Bounded
   * work: on EventStoreDB, when only system records top the log within its budget, a position
   * at or above the last event.
   */
  headPosition(): Promise<Position>;
  /**
   * How many events lie after a position (matching a filter), for progress and lag figures.
   * Optional: a store that cannot count cheaply leaves it out and callers show no total.
   */
  countEvents?(options: { after?: Position; filter?: AllFilter }): Promise<number>;
  /** Catch-up from a checkpoint, then live; ordered; never skips an event. */
  subscribeToAll(options?: SubscribeOptions): AsyncIterable<SubscriptionBatch>;
  close(): Promise<void>;
}
