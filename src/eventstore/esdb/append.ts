import { type EventStoreDBClient, NO_STREAM, WrongExpectedVersionError, jsonEvent } from '@eventstore/db-client';
import { appendNothing, checkUnchanged, meetsExpectation, refuseRepeatedIds, repeatedWrite } from '../appendRules.js';
import { GENESIS, eventHash } from '../chain.js';
import { type AppendOptions, type AppendResult, type EventToAppend, type ExpectedRevision, type JsonObject, type ReadStreamOptions, type RecordedEvent, WrongExpectedRevisionError } from '../port.js';
import { CHAIN_KEY, toPosition } from './convert.js';

/** How far back a refused append looks for its own event ids. */
const REPEAT_LOOKBACK = 1000;
/** Events of a stream read per page while chaining a stream written before the chain. */
const LEGACY_PAGE = 1000;

type ReadStream = (streamId: string, options?: ReadStreamOptions) => Promise<RecordedEvent[]>;

/**
 * Appends with the hash chain. EventStoreDB computes nothing, so the adapter reads the
 * stream's last event, chains from its hash, and appends at exactly that revision: a
 * concurrent writer makes the server refuse, never fork the chain. An 'any' or
 * 'stream_exists' append then reads again and retries; an exact or no_stream one was stale
 * and is refused as before. The hash and its predecessor travel in metadata[CHAIN_KEY]
 * (convert.ts lifts them out into RecordedEvent.hash on reads).
 */
export function chainedAppend(client: EventStoreDBClient, readStream: ReadStream) {
  /** The hash to chain from: genesis, the last event's, or (written before the chain) recomputed over the stream. */
  async function headHash(streamId: string, last: RecordedEvent | undefined): Promise<string> {
    if (!last) return GENESIS;
    if (last.hash) return last.hash;
    let prev = GENESIS;
    for (let from = 0n; ; from += BigInt(LEGACY_PAGE)) {
      const page = await readStream(streamId, { fromRevision: from, maxCount: LEGACY_PAGE });
      for (const e of page) prev = e.hash ?? eventHash(prev, e);
      if (page.length < LEGACY_PAGE) return prev;
    }
  }

  /**
   * The append was refused: a repeat of an earlier write is its result, anything else the
   * conflict (`moved`: an unchanged stream's, else the stream's own).
   */
  async function refused(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision, moved?: WrongExpectedRevisionError): Promise<AppendResult> {
    const recent = await readStream(streamId, { direction: 'backwards', maxCount: REPEAT_LOOKBACK });
    const ids = new Set(events.map((e) => e.eventId.toLowerCase()));
    const repeated = repeatedWrite(streamId, events, expected, recent.filter((r) => ids.has(r.eventId.toLowerCase())));
    if (repeated) return repeated;
    throw moved ?? new WrongExpectedRevisionError(streamId, expected, recent[0]?.revision);
  }

  return async function append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision, options: AppendOptions = {}): Promise<AppendResult> {
    refuseRepeatedIds(streamId, events);
    const unchanged = options.unchanged ?? [];
    if (events.length === 0) {
      const [last] = await readStream(streamId, { direction: 'backwards', maxCount: 1 });
      const result = appendNothing(streamId, expected, last);
      await checkUnchanged(readStream, unchanged);
      return result;
    }
    const ids = new Set(events.map((e) => e.eventId.toLowerCase()));
    for (;;) {
      const tail = await readStream(streamId, { direction: 'backwards', maxCount: events.length });
      const last = tail[0];
      // A stale expectation, or these ids already at the tail (a retried write): not appended.
      if (!meetsExpectation(expected, last?.revision) || tail.some((r) => ids.has(r.eventId.toLowerCase()))) {
        return refused(streamId, events, expected);
      }
      // No multi-stream condition on the server: read just before the write (port.ts).
      try {
        await checkUnchanged(readStream, unchanged);
      } catch (err) {
        if (err instanceof WrongExpectedRevisionError) return refused(streamId, events, expected, err);
        throw err;
      }
      let prev = await headHash(streamId, last);
      const base = last ? last.revision + 1n : 0n;
      const proposed = events.map((e, i) => {
        // The body is made from the JSON the server will store, as a reader parses it again.
        const data = JSON.parse(JSON.stringify(e.data)) as JsonObject;
        const metadata = JSON.parse(JSON.stringify(e.metadata)) as JsonObject;
        const hash = eventHash(prev, { streamId, revision: base + BigInt(i), eventId: e.eventId, eventType: e.eventType, data, metadata });
        const link = { hash, prev };
        prev = hash;
        return jsonEvent({ id: e.eventId, type: e.eventType, data, metadata: { ...metadata, [CHAIN_KEY]: link } });
      });
      try {
        const result = await client.appendToStream(streamId, proposed, { expectedRevision: last ? last.revision : NO_STREAM });
        const position = result.success ? toPosition(result.position) : undefined;
        if (result.success && position) return { nextExpectedRevision: result.nextExpectedRevision, position };
        // Only servers older than 20.6 omit it; the port cannot do without it.
        if (result.success) throw new Error(`EventStoreDB returned no position for the append to ${streamId}`);
        // throwOnAppendFailure=false in the connection string: the failure comes as a result.
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError)) throw err;
      }
      // Another writer moved the stream between our read and our append.
      if (expected !== 'any' && expected !== 'stream_exists') return refused(streamId, events, expected);
    }
  };
}
