import type { TopicSpec } from '../topics.js';

/**
 * Seed 004's JSON feeds and their topics. The pub/sub topics are seed 004's own names; the
 * downstream feeds (billing, finance, operations) have none in the seed, so they follow its
 * `sales.<entities>` convention. Renamed by KAFKA_TOPIC_<FEED> (KAFKA_TOPIC_SALES_CONTRACTS...);
 * partition counts are contract, as for the Avro topics.
 */
export const FEED_TOPICS = {
  SALES_LEADS: { topic: 'sales.leads', partitions: 6 },
  SALES_OPPORTUNITIES: { topic: 'sales.opportunities', partitions: 6 },
  SALES_TERRITORIES: { topic: 'sales.territories', partitions: 3 },
  SALES_QUOTAS: { topic: 'sales.quotas', partitions: 3 },
  /** Billing: opportunity.closed_won with the contract terms. */
  SALES_CONTRACTS: { topic: 'sales.contracts', partitions: 6 },
  /** Finance: forecast.updated. */
  SALES_FORECASTS: { topic: 'sales.forecasts', partitions: 3 },
  /** Operations: onboarding.trigger. */
  SALES_ONBOARDING: { topic: 'sales.onboarding', partitions: 3 },
} as const satisfies Record<string, TopicSpec>;

export type FeedName = keyof typeof FEED_TOPICS;
export type FeedTopics = Readonly<Record<FeedName, TopicSpec>>;

export const feedEnvName = (feed: FeedName) => `KAFKA_TOPIC_${feed}`;
