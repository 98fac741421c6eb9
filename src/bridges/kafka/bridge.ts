import type { Knex } from 'knex';
import type { EventStore } from '../../eventstore/port.js';
import type { Logger } from '../../shared/logger.js';
import { createKafkaInbound } from './inbound.js';
import type { InboundStatus } from './inboundStatus.js';
import { type InboundHandlerDeps, createInboundHandlers } from './inboundHandlers.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Leases } from '../../subscriptions/leases.js';
import type { RunningSubscription } from '../../subscriptions/subscription.js';
import type { LagCounter } from '../../subscriptions/lag.js';
import type { KafkaClient } from './kafkaClient.js';
import { ownEventCheck } from './ownEvents.js';
import { createPlatformaticTransport } from './platformatic.js';
import { feedGateway } from './feeds/gateway.js';
import { type OutboundGateway, type OutboundStatus, avroGateway, createKafkaOutbound } from './outbound.js';
import { type TopicConfig, resolveTopics } from './topics.js';

/**
 * Both directions over one transport (@platformatic/kafka): what the app starts when KAFKA_BROKERS is set.
 * Nothing here blocks or throws on an absent broker; both halves retry in the background.
 */
export interface KafkaBridgeOptions extends InboundHandlerDeps {
  /** The library, from loadKafkaClient(). */
  readonly client: KafkaClient;
  /** KAFKA_BROKERS split on commas. */
  readonly brokers: readonly string[];
  /** Topic names in effect (config.kafkaTopics); the documented ones when absent. */
  readonly topics?: TopicConfig;
  readonly store: EventStore;
  readonly db: Knex;
  readonly log: Logger;
  /** Inbound message counts (kafka_inbound_messages_total). */
  readonly metrics?: Metrics;
  /** postgresLagCounter(db) when the event store is the PostgreSQL one; a bounded port scan otherwise. */
  readonly lagCounter?: LagCounter;
  readonly clientId?: string;
  /** Which instance publishes; see subscriptions/leases.ts. */
  readonly leases?: Leases;
}

export interface KafkaBridge {
  start(): void;
  stop(): Promise<void>;
  status(): Promise<{ outbound: OutboundStatus; feeds: OutboundStatus; inbound: InboundStatus }>;
  /** The outbound's subscription, once started (metrics). */
  subscriptions(): readonly RunningSubscription[];
}

export function createKafkaBridge(opts: KafkaBridgeOptions): KafkaBridge {
  const topics = opts.topics ?? resolveTopics({});
  const log = opts.log;
  const transport = createPlatformaticTransport({ client: opts.client, brokers: opts.brokers, clientId: opts.clientId, log });
  const publisher = (gateway: OutboundGateway) =>
    createKafkaOutbound({
      store: opts.store,
      db: opts.db,
      transport,
      log,
      gateway,
      ...(opts.lagCounter ? { lagCounter: opts.lagCounter } : {}),
      ...(opts.leases ? { leases: opts.leases } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    });
  // Seeds 000/001's Avro topics, and seed 004's JSON feeds: two gateways, two checkpoints.
  const outbound = publisher(avroGateway(topics));
  const feeds = publisher(feedGateway(opts.store, topics.feeds));
  const inbound = createKafkaInbound({
    db: opts.db,
    transport,
    log,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    topics,
    // Our own crm.customer360.profile.updated messages come back on the topic we consume: skipped.
    isOwnEvent: ownEventCheck(opts.store),
    handlers: createInboundHandlers(opts),
  });
  return {
    start() {
      outbound.start();
      feeds.start();
      inbound.start();
    },
    async stop() {
      await Promise.all([outbound.stop(), feeds.stop(), inbound.stop()]);
      await transport.close();
    },
    async status() {
      return { outbound: await outbound.status(), feeds: await feeds.status(), inbound: inbound.status() };
    },
    subscriptions: () => [outbound.subscription(), feeds.subscription()].filter((s) => s !== undefined),
  };
}

/** "host1:9092, host2:9092" → ["host1:9092", "host2:9092"]. */
export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}
