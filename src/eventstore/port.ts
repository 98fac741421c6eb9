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
}

export interface AppendResult {
  /** Revision of the last event written: the stream's new revision. */
  readonly nextExpectedRevision: bigint;
  /** Position of the last event written. */
  readonly position: Position;
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

export interface AllFilter {
  readonly eventTypes?: readonly string[];
  readonly streamPrefixes?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Defaults to START (everything). */
  readonly after?: Position;
  readonly maxCount?: number;
  readonly filter?: AllFilter;
}

/**
 * One step of a subscription. `checkpoint` is safe to store once `events` have been handled:
 * with a filter it may move past events that were not delivered, so an idle filtered
 * subscriber does not re-scan the log from an old checkpoint on restart.
 */
export interface SubscriptionBatch {
  readonly events: readonly RecordedEvent[];
  readonly checkpoint: Position;
  /** True when this batch reached the head of the log as it stood when it was read. */
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
  /** Appends atomically: all events or none. */
  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult>;
  /** Events of one stream; an empty array for a stream that does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of all streams in global order, after a position. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event in the log (START when empty): how far there is to go. */
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
