import type { StoredEvent } from '../../../eventstore/envelope.js';
import type { EventStore } from '../../../eventstore/port.js';
import type { OutboundGateway } from '../outbound.js';
import type { TopicSpec } from '../topics.js';
import { closedWonFeeds, forecastUpdated } from './downstream.js';
import { type FeedMessage, feedRecord } from './envelope.js';
import type { FeedTopics } from './feedTopics.js';
import { SALES_FEED_ROUTES, salesFeedMessages } from './salesFeeds.js';

export const FEEDS_CHECKPOINT_NAME = 'kafka-feeds';

/**
 * Seed 004's JSON feeds as one outbound gateway (its own checkpoint and lease beside the Avro
 * one): the same at-least-once, in order per key, checkpoint after Kafka's ack. A first start
 * begins at the head of the log: switching the feeds on must not send Billing every deal ever
 * won. Setting its checkpoint back replays (consumers dedupe on the derived event_id).
 */
export function feedGateway(store: EventStore, topics: FeedTopics): OutboundGateway {
  async function messagesOf(e: StoredEvent): Promise<FeedMessage[]> {
    const own = salesFeedMessages(e);
    if (e.eventType === 'OpportunityClosedWonEvent') return [...own, ...(await closedWonFeeds(store, e as Parameters<typeof closedWonFeeds>[1]))];
    if (e.eventType === 'ForecastSnapshotCreatedEvent') return [...own, forecastUpdated(e as Parameters<typeof forecastUpdated>[0])];
    return own;
  }
  return {
    name: FEEDS_CHECKPOINT_NAME,
    version: 1,
    eventTypes: [...new Set([...Object.keys(SALES_FEED_ROUTES), 'OpportunityClosedWonEvent', 'ForecastSnapshotCreatedEvent'])],
    topics: Object.values<TopicSpec>(topics),
    async toMessages(events) {
      const out = [];
      for (const e of events) for (const m of await messagesOf(e)) out.push(feedRecord(e, m, topics));
      return out;
    },
    firstPosition: (s) => s.headPosition(),
  };
}
