import type { Response } from 'express';
import type { DomainEvent } from '../aggregates/decider.js';
import type { Aggregate } from '../commands/handler.js';
import { loadReadable } from '../commands/load.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import { snakeKeys } from '../shared/case.js';
import { redacted } from '../shared/redact.js';
import { accessOf } from './auth.js';
import { etagOf } from './commandReply.js';

/**
 * The audit trail of one aggregate, read from its stream: every event with its actor, time,
 * correlation and what it changed. One shape for every aggregate's /history; an aggregate may
 * add fields of its own (an opportunity its from/to stage).
 */
export function historyEntry(e: StoredEvent, extra: Record<string, unknown> = {}) {
  return {
    event_id: e.eventId,
    event_type: e.eventType,
    revision: e.revision.toString(),
    timestamp: e.timestamp,
    actor: e.metadata.userId,
    ...(e.metadata.apiKeyId ? { api_key_id: e.metadata.apiKeyId } : {}),
    correlation_id: e.metadata.correlationId,
    causation_id: e.metadata.causationId,
    changes: snakeKeys(redacted(e.payload)),
    ...extra,
  };
}

/** A configuration read from its stream (stage set, stage task template): its revision and last change. */
export function lastChange(events: readonly StoredEvent[], revision: bigint) {
  const last = events.at(-1);
  return { revision: revision.toString(), updated_at: last?.timestamp ?? null, updated_by: last?.metadata.userId ?? null };
}

/**
 * Answers GET …/:id/history for the caller: 404 when the stream is empty, 403 when the record is
 * outside the caller's reach, ETag = the last revision.
 */
export async function sendHistory<C, E extends DomainEvent, S>(
  res: Response,
  store: EventStore,
  target: { aggregate: Aggregate<C, E, S>; aggregateId: string; label: string },
  extra: (e: StoredEvent) => Record<string, unknown> = () => ({}),
): Promise<void> {
  const { events, revision } = await loadReadable(store, accessOf(res), target.aggregate, target.aggregateId, target.label);
  res.setHeader('ETag', etagOf(revision));
  res.json({ id: target.aggregateId, data: events.map((e) => historyEntry(e as StoredEvent, extra(e as StoredEvent))) });
}
