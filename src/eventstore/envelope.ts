import type { DomainEvent } from '../aggregates/decider.js';
import type { EventToAppend, JsonObject, Position, RecordedEvent } from './port.js';

/**
 * The stored envelope of seed 000 (eventId, eventType, timestamp, aggregateId, tenantId,
 * payload) plus metadata: correlationId, causationId, userId (the actor), schemaVersion.
 * The port keeps the payload as `data` and everything else in `metadata`, so compliance can
 * replay who did what from the log alone.
 */
export interface EventMetadata {
  readonly correlationId: string;
  readonly causationId: string | null;
  /** The actor. */
  readonly userId: string;
  readonly schemaVersion: number;
  readonly idempotencyKey?: string;
  /** The API key the request presented (alone, or as the client beside a user's bearer token). */
  readonly apiKeyId?: string;
  /** W3C trace context of the request that decided it, when tracing is on: projections and Kafka continue that trace. */
  readonly traceparent?: string;
}

export interface StoredEvent<E extends DomainEvent = DomainEvent> {
  readonly eventId: string;
  readonly eventType: E['type'];
  /** ISO-8601 instant of the decision. */
  readonly timestamp: string;
  readonly aggregateId: string;
  readonly tenantId: string;
  readonly payload: E['data'];
  readonly metadata: EventMetadata;
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: Position;
}

export const SCHEMA_VERSION = 1;

export interface EnvelopeFields {
  readonly eventId: string;
  readonly timestamp: Date;
  readonly aggregateId: string;
  readonly tenantId: string;
  readonly metadata: EventMetadata;
}

export function toEventToAppend(event: DomainEvent, env: EnvelopeFields): EventToAppend {
  const metadata: JsonObject = {
    timestamp: env.timestamp.toISOString(),
    aggregateId: env.aggregateId,
    tenantId: env.tenantId,
    correlationId: env.metadata.correlationId,
    causationId: env.metadata.causationId,
    userId: env.metadata.userId,
    schemaVersion: env.metadata.schemaVersion,
  };
  if (env.metadata.idempotencyKey !== undefined) metadata.idempotencyKey = env.metadata.idempotencyKey;
  if (env.metadata.apiKeyId !== undefined) metadata.apiKeyId = env.metadata.apiKeyId;
  if (env.metadata.traceparent !== undefined) metadata.traceparent = env.metadata.traceparent;
  return { eventId: env.eventId, eventType: event.type, data: event.data as JsonObject, metadata };
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);

export function fromRecorded<E extends DomainEvent = DomainEvent>(r: RecordedEvent): StoredEvent<E> {
  const m = r.metadata;
  const metadata: EventMetadata = {
    correlationId: str(m.correlationId),
    causationId: typeof m.causationId === 'string' ? m.causationId : null,
    userId: str(m.userId),
    schemaVersion: typeof m.schemaVersion === 'number' ? m.schemaVersion : SCHEMA_VERSION,
    ...(typeof m.idempotencyKey === 'string' ? { idempotencyKey: m.idempotencyKey } : {}),
    ...(typeof m.apiKeyId === 'string' ? { apiKeyId: m.apiKeyId } : {}),
    ...(typeof m.traceparent === 'string' ? { traceparent: m.traceparent } : {}),
  };
  return {
    eventId: r.eventId,
    eventType: r.eventType as E['type'],
    timestamp: str(m.timestamp, r.created.toISOString()),
    aggregateId: str(m.aggregateId),
    tenantId: str(m.tenantId),
    payload: r.data as E['data'],
    metadata,
    streamId: r.streamId,
    revision: r.revision,
    position: r.position,
  };
}

/** The domain event a stored one carries, for folding. */
export const toDomainEvent = <E extends DomainEvent>(e: StoredEvent<E>): E => ({ type: e.eventType, data: e.payload }) as E;
