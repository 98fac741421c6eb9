import type { Response } from 'express';
import { type StoredEvent, fromRecorded } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { snakeKeys } from '../shared/case.js';
import { notFound } from '../shared/errors.js';
import { etagOf } from './commandRoute.js';

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
    correlation_id: e.metadata.correlationId,
    causation_id: e.metadata.causationId,
    ...extra,
    changes: snakeKeys(e.payload),
  };
}

/** Answers GET …/:id/history: 404 when the stream is empty, ETag = the last revision. */
export async function sendHistory(
  res: Response,
  store: EventStore,
  target: { category: string; tenantId: string; aggregateId: string; label: string },
  extra: (e: StoredEvent) => Record<string, unknown> = () => ({}),
): Promise<void> {
  const stream = streamName(target);
  const events = (await store.readStream(stream)).map((r) => fromRecorded(r));
  if (events.length === 0) throw notFound(`${target.label} ${target.aggregateId} not found`, { id: target.aggregateId });
  res.setHeader('ETag', etagOf(events.at(-1)!.revision));
  res.json({ id: target.aggregateId, data: events.map((e) => historyEntry(e, extra(e))) });
}
