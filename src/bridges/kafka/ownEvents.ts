import { customerProfileAggregate } from '../../aggregates/customerProfile/index.js';
import type { EventStore } from '../../eventstore/port.js';
import { AGGREGATE_ID_PATTERN, streamName } from '../../eventstore/streams.js';
import type { AvroRecord } from './avro.js';
import type { ConsumedEventType } from './topics.js';

/**
 * Our own messages on a topic we also consume. CustomerProfileUpdatedEvent is both published by
 * this service (its CustomerProfile aggregate, seed 001's topic crm.customer360.profile.updated)
 * and consumed from Customer 360 ("sync account data", seed 000). Reading our own updates back
 * would record them as if another context had synced them.
 *
 * The outbound bridge sets no producer or source header (eventType, eventId, tenantId,
 * correlationId, content-type, schema, traceparent), so a message is recognised as ours by what
 * it carries: its eventId is an event of the named customer's own stream in our event store.
 * That holds for both event store adapters (a stream read through the port), costs one read
 * of a short stream per consumed profile update, and cannot mistake another context's event
 * for ours (event ids are UUIDs; the stream is per tenant).
 */
export function ownEventCheck(store: EventStore): (eventType: ConsumedEventType, record: AvroRecord) => Promise<boolean> {
  return async (eventType, record) => {
    if (eventType !== 'CustomerProfileUpdatedEvent') return false;
    const { tenantId, customerId, eventId } = record;
    if (typeof customerId !== 'string' || !AGGREGATE_ID_PATTERN.test(customerId) || typeof tenantId !== 'string') return false;
    const streamId = streamName({ category: customerProfileAggregate.category, tenantId, aggregateId: customerId });
    const events = await store.readStream(streamId, { direction: 'backwards' });
    return events.some((e) => e.eventId === eventId);
  };
}
