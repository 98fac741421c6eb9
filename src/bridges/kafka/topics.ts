import { FEED_TOPICS, type FeedName, type FeedTopics, feedEnvName } from './feeds/feedTopics.js';
import { API_KEY_EVENT_TYPES } from '../../aggregates/apiKey/events.js';
import { TEAM_EVENT_TYPES } from '../../aggregates/team/events.js';
import { ACTIVITY_EVENT_TYPES } from '../../aggregates/activity/events.js';
import { TASK_EVENT_TYPES } from '../../aggregates/task/events.js';
import { TERRITORY_EVENT_TYPES } from '../../aggregates/territory/events.js';
import { SEGMENTATION_EVENT_TYPES } from '../../aggregates/segmentation/events.js';
import { QUOTA_EVENT_TYPES } from '../../aggregates/quota/events.js';
/**
 * Which event goes to which Kafka topic. Data, not code: published topics and partition counts
 * are exactly those of seeds 000 (Pipeline) and 001 (Customer 360), plus the erasure topic.
 *
 * Not published, because no seed documents a topic for them: UNPUBLISHED_EVENT_TYPES below
 * (OpportunityUpdatedEvent, the Lead, PipelineStage and other Forecast events, the merged-into
 * marker). Publishing one needs a topic agreed with its consumers first; the outbound filter
 * skips them, so they stay in the log only.
 */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
}

export const PUBLISHED_TOPICS = {
  // seed 000
  OpportunityCreatedEvent: { topic: 'crm.pipeline.opportunity.created', partitions: 6 },
  OpportunityStageChangedEvent: { topic: 'crm.pipeline.opportunity.stage.changed', partitions: 6 },
  OpportunityClosedWonEvent: { topic: 'crm.pipeline.opportunity.closed.won', partitions: 6 },
  OpportunityClosedLostEvent: { topic: 'crm.pipeline.opportunity.closed.lost', partitions: 3 },
  ForecastSnapshotCreatedEvent: { topic: 'crm.pipeline.forecast.snapshot.created', partitions: 3 },
  // seed 001
  CustomerProfileCreatedEvent: { topic: 'crm.customer360.profile.created', partitions: 6 },
  CustomerProfileUpdatedEvent: { topic: 'crm.customer360.profile.updated', partitions: 6 },
  CustomerMergedEvent: { topic: 'crm.customer360.profile.merged', partitions: 6 },
  ConsentUpdatedEvent: { topic: 'crm.customer360.consent.updated', partitions: 3 },
  // Not in the seeds: issue 13's erasure, for every consumer that keeps copies of personal data.
  PersonalDataErasedEvent: { topic: 'crm.privacy.subject.erased', partitions: 3 },
} as const satisfies Record<string, TopicSpec>;

export type PublishedEventType = keyof typeof PUBLISHED_TOPICS;
export const PUBLISHED_EVENT_TYPES = Object.keys(PUBLISHED_TOPICS) as PublishedEventType[];

/**
 * Event types of this codebase that deliberately have no topic (see the header comment). A test
 * holds every aggregate's event list to "published or listed here".
 */
export const UNPUBLISHED_EVENT_TYPES: readonly string[] = [
  'OpportunityUpdatedEvent',
  'OpportunityPricingSnapshotAttachedEvent',
  'OpportunityOfferRejectedEvent',
  'OpportunityReassignedEvent',
  'CustomerMergedIntoEvent', // the source side of a merge; CustomerMergedEvent is the published fact
  'ForecastCreatedEvent',
  'ForecastAdjustedEvent',
  'ForecastLockedEvent',
  'ForecastReassignedEvent',
  // Lead events: the seeds document LeadCreatedEvent only as consumed from Sales (seed 001).
  'LeadCreatedEvent',
  'LeadScoredEvent',
  'LeadQualifiedEvent',
  'LeadDisqualifiedEvent',
  'LeadAssignedEvent',
  'LeadConvertedEvent',
  'LeadMarketingSyncedEvent',
  // Erasure recorded on each record; the subject's PersonalDataErasedEvent is the published fact.
  'LeadPersonalDataErasedEvent',
  'CustomerPersonalDataErasedEvent',
  'OpportunityContactsErasedEvent',
  'PipelineStagesConfiguredEvent',
  'PipelineStageUpdatedEvent',
  ...SEGMENTATION_EVENT_TYPES, // tenant configuration, like the stage set
  'StageTaskTemplateConfiguredEvent', // stage configuration, like the two above
  // Access administration stays inside the service.
  ...TEAM_EVENT_TYPES,
  ...API_KEY_EVENT_TYPES,
  // Seed 004's sales.territories feed is issue 12's; the seeds 000/001 topics have none.
  ...TERRITORY_EVENT_TYPES,
  // Seed 003 names ActivityCreatedEvent and TaskCompletedEvent but documents no topic for them.
  ...ACTIVITY_EVENT_TYPES,
  ...TASK_EVENT_TYPES,
  'OpportunityTerritoryAssignedEvent',
  // Seed 004's billing and onboarding feeds carry the terms (feeds/); no Avro topic documents them.
  'OpportunityCommercialTermsSetEvent',
  // On seed 004's JSON feed sales.quotas (feeds/salesFeeds.ts); no Avro topic documents them.
  ...QUOTA_EVENT_TYPES,
];

/**
 * Consumed events (seeds 000, 001 and 003). The seeds name the events, not their topics, except Customer 360's
 * profile.updated; the others follow the seeds' convention `<context>.<entity>.<event>`.
 * Their producers own them: when we must create one (a fresh cluster) it gets `partitions`,
 * and an existing topic is only checked and reported, never altered.
 */
export const INBOUND_TOPICS = {
  CustomerProfileUpdatedEvent: { topic: 'crm.customer360.profile.updated', partitions: 6 },
  QuoteCreatedEvent: { topic: 'sales.quote.created', partitions: 6 },
  CreditLimitExceededEvent: { topic: 'finance.ar.credit.limit.exceeded', partitions: 6 },
  CreditLimitRestoredEvent: { topic: 'finance.ar.credit.limit.restored', partitions: 6 },
  LeadCreatedEvent: { topic: 'sales.lead.created', partitions: 6 },
  ServiceOrderCreatedEvent: { topic: 'serviceorders.order.created', partitions: 6 },
  ContractActivatedEvent: { topic: 'contracts.contract.activated', partitions: 6 },
  // seed 003, "Offers Service Integration" and "Orders Service Integration"
  OfferApprovedEvent: { topic: 'offers.offer.approved', partitions: 6 },
  OfferRejectedEvent: { topic: 'offers.offer.rejected', partitions: 6 },
  OrderCreatedEvent: { topic: 'orders.order.created', partitions: 6 },
  // Seed 004: Marketing's qualified leads, JSON in seed 004's envelope (jsonConsumed.ts).
  MarketingLeadQualifiedEvent: { topic: 'marketing.lead.qualified', partitions: 6 },
} as const satisfies Record<string, TopicSpec>;

export type ConsumedEventType = keyof typeof INBOUND_TOPICS;
export const CONSUMED_EVENT_TYPES = Object.keys(INBOUND_TOPICS) as ConsumedEventType[];

export const DLQ_TOPIC: TopicSpec = { topic: 'crm.pipeline.dlq', partitions: 3 };

export interface TopicConfig {
  readonly published: Readonly<Record<PublishedEventType, TopicSpec>>;
  /** Seed 004's JSON feeds (feeds/feedTopics.ts). */
  readonly feeds: FeedTopics;
  readonly inbound: Readonly<Record<ConsumedEventType, TopicSpec>>;
  readonly dlq: TopicSpec;
}

/** `OpportunityCreatedEvent` → `KAFKA_TOPIC_OPPORTUNITY_CREATED`; the DLQ is `KAFKA_TOPIC_DLQ`. */
export function topicEnvName(eventType: string): string {
  const base = eventType.replace(/Event$/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2');
  return `KAFKA_TOPIC_${base.toUpperCase()}`;
}

export const DLQ_ENV_NAME = 'KAFKA_TOPIC_DLQ';

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * The topic names in effect: the documented defaults, renamed by `KAFKA_TOPIC_*` entries of
 * `overrides` (an env-like record). Partition counts are not overridable: they are contract.
 * An override naming no known event is an error, so a typo does not silently do nothing.
 * CustomerProfileUpdatedEvent is both published and consumed; one name renames both.
 */
export function resolveTopics(overrides: Readonly<Record<string, string | undefined>> = {}): TopicConfig {
  const known = new Set<string>([DLQ_ENV_NAME]);
  const rename = (eventType: string, spec: TopicSpec): TopicSpec => {
    const name = topicEnvName(eventType);
    known.add(name);
    return renamed(name, overrides[name], spec);
  };
  const published = mapSpecs<PublishedEventType>(PUBLISHED_TOPICS, rename);
  const feeds = mapSpecs<FeedName>(FEED_TOPICS, (feed, spec) => {
    const name = feedEnvName(feed);
    known.add(name);
    return renamed(name, overrides[name], spec);
  });
  const inbound = mapSpecs<ConsumedEventType>(INBOUND_TOPICS, rename);
  const dlqName = overrides[DLQ_ENV_NAME];
  if (dlqName !== undefined && dlqName !== '' && !TOPIC_NAME.test(dlqName)) {
    throw new Error(`${DLQ_ENV_NAME}: "${dlqName}" is not a valid Kafka topic name`);
  }
  const unknown = Object.keys(overrides).filter((k) => k.startsWith('KAFKA_TOPIC_') && !known.has(k));
  if (unknown.length > 0) throw new Error(`unknown Kafka topic setting(s): ${unknown.join(', ')}`);
  return { published, feeds, inbound, dlq: dlqName ? { topic: dlqName, partitions: DLQ_TOPIC.partitions } : DLQ_TOPIC };
}

function renamed(name: string, value: string | undefined, spec: TopicSpec): TopicSpec {
  if (value === undefined || value === '') return spec;
  if (!TOPIC_NAME.test(value)) throw new Error(`${name}: "${value}" is not a valid Kafka topic name`);
  return { topic: value, partitions: spec.partitions };
}

function mapSpecs<K extends string>(
  specs: Readonly<Record<K, TopicSpec>>,
  f: (eventType: K, spec: TopicSpec) => TopicSpec,
): Record<K, TopicSpec> {
  const out = {} as Record<K, TopicSpec>;
  for (const key of Object.keys(specs) as K[]) out[key] = f(key, specs[key]);
  return out;
}

/** Every topic the bridge writes to or reads from, once each, for ensureTopics. */
export function allTopicSpecs(config: TopicConfig): TopicSpec[] {
  const byName = new Map<string, TopicSpec>();
  for (const spec of [
    ...Object.values<TopicSpec>(config.published),
    ...Object.values<TopicSpec>(config.feeds),
    ...Object.values<TopicSpec>(config.inbound),
    config.dlq,
  ]) {
    if (!byName.has(spec.topic)) byName.set(spec.topic, spec);
  }
  return [...byName.values()];
}
