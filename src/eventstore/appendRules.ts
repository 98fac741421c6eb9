import {
  type AppendResult,
  DuplicateEventIdError,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  type UnchangedStream,
  WrongExpectedRevisionError,
} from './port.js';

/**
 * The port's append rules that do not depend on the store (see EventStore.append): the
 * expectation check, appending nothing, and telling a retried write from a reused event id.
 * Both adapters apply them, so both answer alike.
 */

/** Whether a stream at revision `actual` (undefined: absent) meets `expected`. */
export function meetsExpectation(expected: ExpectedRevision, actual: bigint | undefined): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === undefined;
  if (expected === 'stream_exists') return actual !== undefined;
  return actual === expected;
}

/** Appending no events: the expectation against the stream's last event, nothing written. */
export function appendNothing(
  streamId: string,
  expected: ExpectedRevision,
  last: { readonly revision: bigint; readonly position: Position } | undefined,
): AppendResult {
  if (!meetsExpectation(expected, last?.revision)) throw new WrongExpectedRevisionError(streamId, expected, last?.revision);
  return { nextExpectedRevision: last?.revision ?? -1n, position: last?.position ?? START };
}

/** The refusal of an append because `streamId`, one of its unchanged streams, is at `actual` (undefined: absent). */
export function movedError(unchanged: readonly UnchangedStream[], streamId: string | undefined, actual: bigint | undefined): WrongExpectedRevisionError {
  const which = unchanged.find((u) => u.streamId === streamId) ?? unchanged[0];
  if (!which) return new WrongExpectedRevisionError(streamId ?? '(unknown)', 'any', actual);
  return new WrongExpectedRevisionError(which.streamId, which.revision >= 0n ? which.revision : 'no_stream', actual);
}

/**
 * The unchanged streams checked by reading each one's last event: where the store cannot check
 * them inside the write (appending nothing; EventStoreDB), just before it.
 */
export async function checkUnchanged(
  readStream: (streamId: string, options?: ReadStreamOptions) => Promise<RecordedEvent[]>,
  unchanged: readonly UnchangedStream[],
): Promise<void> {
  for (const u of unchanged) {
    const [last] = await readStream(u.streamId, { direction: 'backwards', maxCount: 1 });
    if ((last?.revision ?? -1n) !== u.revision) throw movedError(unchanged, u.streamId, last?.revision);
  }
}

export interface StoredId {
  readonly streamId: string;
  readonly revision: bigint;
  readonly eventId: string;
  readonly position: Position;
}

/**
 * An append failed on its expectation or on a stored id. `stored`: where the store holds any
 * of the appended ids. The same write again (same stream, same ids in order, consecutive, and
 * the expectation held when it was first written) is its first result; other stored ids are
 * a DuplicateEventIdError; none stored leaves the original failure standing (undefined).
 */
export function repeatedWrite(
  streamId: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
  stored: readonly StoredId[],
): AppendResult | undefined {
  if (stored.length === 0) return undefined;
  const sorted = [...stored].sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
  const first = sorted[0]!;
  const repeat =
    sorted.length === events.length &&
    sorted.every((s, i) => s.streamId === streamId && s.eventId.toLowerCase() === events[i]!.eventId.toLowerCase() && s.revision === first.revision + BigInt(i)) &&
    meetsExpectation(expected, first.revision === 0n ? undefined : first.revision - 1n);
  if (!repeat) throw new DuplicateEventIdError(streamId, sorted.map((s) => s.eventId));
  const last = sorted.at(-1)!;
  return { nextExpectedRevision: last.revision, position: last.position };
}

/** Ids that occur twice in one append: refused before anything is written. */
export function refuseRepeatedIds(streamId: string, events: readonly EventToAppend[]): void {
  const seen = new Set<string>();
  const twice = events.filter((e) => seen.size === seen.add(e.eventId.toLowerCase()).size).map((e) => e.eventId);
  if (twice.length) throw new DuplicateEventIdError(streamId, twice);
}
