import type { JsonObject, RecordedEvent } from '../port.js';

/** es_events rows as the store (and the migration that chained the existing log) reads them. */
export interface EventRow {
  seq: string;
  transaction_id: string;
  stream_id: string;
  revision: string;
  event_id: string;
  event_type: string;
  data: JsonObject;
  metadata: JsonObject;
  created: Date;
  hash: string | null;
}

// Text casts keep bigints exact; ORDER BY must name es_events.<col>, or it binds to these text columns.
export const COLUMNS =
  "seq::text, transaction_id::text, stream_id, revision::text, event_id::text, event_type, data, metadata, created, encode(hash, 'hex') as hash";

export function toRecorded(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.seq) },
    eventId: row.event_id,
    eventType: row.event_type,
    data: row.data,
    metadata: row.metadata,
    created: row.created,
    ...(row.hash === null ? {} : { hash: row.hash }),
  };
}
