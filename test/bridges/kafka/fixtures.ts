import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../../../src/aggregates/decider.js';
import { SCHEMA_VERSION, type StoredEvent, toEventToAppend } from '../../../src/eventstore/envelope.js';
import type { EventToAppend } from '../../../src/eventstore/port.js';
import type { PublishedEventType } from '../../../src/bridges/kafka/topics.js';
import type { CustomerProfileEvent } from '../../../src/aggregates/customerProfile/events.js';
import type { ForecastEvent } from '../../../src/aggregates/forecast/events.js';
import type { OpportunityEvent } from '../../../src/aggregates/opportunity/events.js';
import type { DataSubjectEvent } from '../../../src/aggregates/dataSubject/events.js';
import type { Amount } from '../../../src/shared/money.js';

type AppEvent = OpportunityEvent | CustomerProfileEvent | ForecastEvent | DataSubjectEvent;
/** The payload type the app's aggregates emit for an event type. */
type PayloadOf<T extends string> = Extract<AppEvent, { type: T }>['data'];

const amount = (text: string) => text as Amount;

/**
 * A sample payload per published event type, typed by the aggregates' own event types: a change
 * of payload shape there fails to compile here, and the round-trip test then shows whether the
 * Avro schema still fits.
 */
export const SAMPLE_PAYLOADS: { [K in PublishedEventType]: PayloadOf<K> } = {
  OpportunityCreatedEvent: {
    opportunityId: 'OPP-100',
    customerId: 'CUST-100',
    amount: amount('120000.00'),
    currency: 'USD',
    stage: 'QUALIFICATION',
    name: 'Acme renewal',
    leadId: null,
    ownerId: 'user-1',
    probability: 10,
    expectedCloseDate: '2026-03-31',
    products: [{ productId: 'P-1', quantity: 2, unitPrice: amount('60000.00') }],
    metadata: {},
  },
  OpportunityStageChangedEvent: {
    opportunityId: 'OPP-100',
    fromStage: 'QUALIFICATION',
    toStage: 'NEGOTIATION',
    probability: 60,
    nextStep: 'send contract',
    notes: null,
  },
  OpportunityClosedWonEvent: {
    opportunityId: 'OPP-100',
    customerId: 'CUST-100',
    amount: amount('120000.00'),
    currency: 'USD',
    closeDate: '2026-02-02',
    fromStage: 'NEGOTIATION',
    toStage: 'CLOSED_WON',
  },
  OpportunityClosedLostEvent: {
    opportunityId: 'OPP-101',
    customerId: 'CUST-100',
    amount: amount('0.01'),
    currency: 'EUR',
    closeDate: '2026-02-03',
    fromStage: 'PROPOSAL',
    toStage: 'CLOSED_LOST',
    reason: 'PRICE',
  },
  ForecastSnapshotCreatedEvent: {
    forecastId: 'FC-2026-Q1',
    period: '2026-Q1',
    territoryId: 'EMEA',
    forecastType: 'commit',
    currency: 'USD',
    amount: amount('99999999999999.99'),
    probabilityWeightedAmount: amount('12345.67'),
    breakdown: [
      { stage: 'QUALIFICATION', count: 3, totalAmount: amount('300000.00'), weightedAmount: amount('30000.00') },
      { stage: 'NEGOTIATION', count: 1, totalAmount: amount('0.01'), weightedAmount: amount('0.00') },
    ],
    generatedAt: '2026-02-02T11:10:00.000Z',
  },
  CustomerProfileCreatedEvent: {
    customerId: 'CUST-100',
    name: 'Acme Corp',
    status: 'ACTIVE',
    primaryContactId: 'CONT-10',
    segment: 'ENTERPRISE',
    personalData: { firstName: 'Ada', email: 'ada@example.com' }, // stays off Kafka: not in the schema
  },
  CustomerProfileUpdatedEvent: {
    customerId: 'CUST-100',
    changedFields: ['segment', 'status'],
    updatedBy: 'user-200',
    segment: 'SMB',
    status: 'INACTIVE',
  },
  CustomerMergedEvent: { targetCustomerId: 'CUST-100', sourceCustomerId: 'CUST-OLD', mergeReason: 'DUPLICATE' },
  ConsentUpdatedEvent: { customerId: 'CUST-100', consentType: 'EMAIL', status: 'GRANTED', previousStatus: null, source: 'WEB_FORM' },
  PersonalDataErasedEvent: {
    subjectId: '6f1c2a4e-0000-4000-8000-000000000001',
    requestedBy: 'lead',
    requestedFor: 'LEAD-1',
    reason: 'Art. 17 request',
    records: [{ type: 'lead', id: 'LEAD-1' }, { type: 'customerProfile', id: 'CUST-100' }],
    erasedAt: '2026-02-02T11:10:00.000Z',
  },
};

export function storedEvent(
  eventType: string,
  payload: Record<string, unknown>,
  env: { eventId?: string; aggregateId?: string; tenantId?: string; timestamp?: string } = {},
): StoredEvent {
  return {
    eventId: env.eventId ?? randomUUID(),
    eventType,
    timestamp: env.timestamp ?? '2026-02-02T11:10:00.000Z',
    aggregateId: env.aggregateId ?? 'OPP-100',
    tenantId: env.tenantId ?? 'tenant-001',
    payload,
    metadata: { correlationId: randomUUID(), causationId: null, userId: 'user-1', schemaVersion: SCHEMA_VERSION },
    streamId: `opportunity-${env.tenantId ?? 'tenant-001'}:${env.aggregateId ?? 'OPP-100'}`,
    revision: 0n,
    position: { commit: 0n, prepare: 0n },
  };
}

/** An event as the command side would append it, via envelope.ts. */
export function toAppend(
  type: string,
  data: Record<string, unknown>,
  env: { aggregateId: string; tenantId?: string; timestamp?: Date; eventId?: string },
): EventToAppend {
  const event: DomainEvent = { type, data };
  return toEventToAppend(event, {
    eventId: env.eventId ?? randomUUID(),
    timestamp: env.timestamp ?? new Date('2026-02-02T11:10:00Z'),
    aggregateId: env.aggregateId,
    tenantId: env.tenantId ?? 'tenant-001',
    metadata: { correlationId: randomUUID(), causationId: null, userId: 'user-1', schemaVersion: SCHEMA_VERSION },
  });
}
