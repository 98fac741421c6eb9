import type { StoredEvent } from '../../../eventstore/envelope.js';
import { uuidV5 } from '../../../shared/uuid.js';
import { messageHeaders } from '../outbound.js';
import type { OutgoingMessage } from '../transport.js';
import type { FeedName, FeedTopics } from './feedTopics.js';

/** What a feed says about one stored event: on which feed, as which seed 004 event, keyed by what. */
export interface FeedMessage {
  readonly feed: FeedName;
  /** Seed 004's name: lead.qualified, opportunity.closed_won, forecast.updated... */
  readonly eventType: string;
  /** The entity the message is about: its messages stay in order on one partition. */
  readonly key: string;
  readonly payload: Record<string, unknown>;
}

export const FEED_SOURCE = 'crm-pipeline';
export const FEED_VERSION = '1.0';
const FEED_NAMESPACE = '0c5f3d8e-9a41-4b6e-8f27-3e1d5a9c7b60';

/**
 * Seed 004's standard envelope, plus tenant_id (this service is multi-tenant). The event_id is
 * derived from the stored event and the feed event type, so a message sent again after a crash
 * carries the same id and consumers dedupe on it. Money stays a decimal string.
 */
export function feedRecord(e: StoredEvent, m: FeedMessage, topics: FeedTopics): OutgoingMessage {
  const eventId = uuidV5(`${e.eventId}:${m.eventType}`, FEED_NAMESPACE);
  const envelope = {
    event_id: eventId,
    event_type: m.eventType,
    timestamp: e.timestamp,
    source: FEED_SOURCE,
    version: FEED_VERSION,
    correlation_id: e.metadata.correlationId ?? null,
    user_id: e.metadata.userId ?? null,
    tenant_id: e.tenantId,
    payload: m.payload,
  };
  return {
    topic: topics[m.feed].topic,
    key: m.key,
    value: Buffer.from(JSON.stringify(envelope)),
    headers: { ...messageHeaders(e), eventType: m.eventType, eventId, sourceEventId: e.eventId, 'content-type': 'application/json' },
  };
}
