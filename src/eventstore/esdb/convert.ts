import { START as ESDB_START } from '@eventstore/db-client';
import type {
  Position as EsdbPosition,
  RecordedEvent as EsdbRecordedEvent,
  StreamingRead,
} from '@eventstore/db-client';
import { START, comparePositions, type AllFilter, type JsonObject, type Position, type RecordedEvent } from '../port.js';

/** Between the client's shapes and the port's: positions, records (with their chain link), filters. */

/** What servers before 22.6 send for "no position" on stream reads. */
const U64_MAX = 18446744073709551615n;

/** Iterates a read and cancels the gRPC call when the consumer stops early or it fails. */
export async function* drain<E>(read: StreamingRead<E>): AsyncGenerator<E> {
  let complete = false;
  try {
    for await (const item of read) yield item;
    complete = true;
  } finally {
    // Breaking out destroys the Readable but leaves the server streaming; cancel the call.
    if (!complete) await read.cancel().catch(() => undefined);
  }
}

/** The port's filter: both parts must match; an absent part matches all, an empty list none. */
export function compileFilter(filter: AllFilter | undefined): (streamId: string, type: string) => boolean {
  const types = filter?.eventTypes ? new Set(filter.eventTypes) : undefined;
  const prefixes = filter?.streamPrefixes;
  return (streamId, type) =>
    (types === undefined || types.has(type)) && (prefixes === undefined || prefixes.some((p) => streamId.startsWith(p)));
}

export function isSystem(event: { readonly streamId: string; readonly type: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/** START means "from the beginning": the first event of $all may well be at 0/0. */
export function toReadPosition(after: Position): typeof ESDB_START | EsdbPosition {
  return comparePositions(after, START) === 0 ? ESDB_START : { commit: after.commit, prepare: after.prepare };
}

/** The client's position, or undefined when the server sent none (absent, or u64 max). */
export function toPosition(p: EsdbPosition | undefined): Position | undefined {
  if (!p || p.commit >= U64_MAX || p.prepare >= U64_MAX || p.commit < 0n || p.prepare < 0n) return undefined;
  return { commit: p.commit, prepare: p.prepare };
}

/** The metadata key that carries an event's chain link ({ hash, prev }) on EventStoreDB. */
export const CHAIN_KEY = 'chain';

/** The stored hash, and the metadata as the writer gave it (without the adapter's link). */
function splitChain(metadata: JsonObject): { metadata: JsonObject; hash?: string } {
  const link = metadata[CHAIN_KEY];
  if (link === null || typeof link !== 'object' || Array.isArray(link) || typeof link.hash !== 'string') return { metadata };
  const { [CHAIN_KEY]: _link, ...rest } = metadata;
  return { metadata: rest, hash: link.hash };
}

/** `fallback`: the position to give a stream read's record that came without one. */
export function toRecorded(event: EsdbRecordedEvent, fallback?: Position): RecordedEvent {
  const position = toPosition(event.position) ?? fallback;
  if (!position) throw new Error(`EventStoreDB returned no position for ${event.streamId}@${event.revision}`);
  const { metadata, hash } = splitChain(
    event.metadata === undefined ? {} : toJsonObject(event.metadata, `metadata of ${event.streamId}@${event.revision}`),
  );
  return {
    streamId: event.streamId,
    revision: event.revision,
    position,
    eventId: event.id,
    eventType: event.type,
    data: toJsonObject(event.data, `data of ${event.streamId}@${event.revision}`),
    metadata,
    created: event.created,
    ...(hash === undefined ? {} : { hash }),
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
