import type { Knex } from 'knex';
import type { StoredEvent } from '../../eventstore/envelope.js';
import { type EventStore, type Position, START, comparePositions, formatPosition } from '../../eventstore/port.js';
import type { Logger } from '../../shared/logger.js';
import { type AvroCodec, avroCodec } from './avro.js';
import { type BackoffOptions, errorMessage } from '../../shared/backoff.js';
import type { Metrics } from '../../observability/metrics.js';
import { readCheckpoints } from '../../subscriptions/checkpoints.js';
import type { Subscriber } from '../../subscriptions/consume.js';
import type { Leases } from '../../subscriptions/leases.js';
import { type RunningSubscription, startSubscription, storedPosition } from '../../subscriptions/subscription.js';
import { type LagCounter, storeLagCounter } from '../../subscriptions/lag.js';
import { PUBLISHED_EVENT_TYPES, type PublishedEventType, type TopicConfig, type TopicSpec, resolveTopics } from './topics.js';
import type { KafkaTransport, OutgoingMessage, TopicCheck } from './transport.js';

/**
 * The outbound bridge: one more subscriber of the log (DESIGN §6, §12), run by the instance
 * holding its lease. Per batch: encode, send, and only once Kafka has acknowledged every
 * message (acks=-1) move the checkpoint. A crash or a failed send therefore resends from the
 * last checkpoint: at-least-once, never lost. Key = aggregateId and one in-flight request keep
 * each aggregate's events in order within its topic. Consumers dedupe by the eventId header.
 *
 * The log is the outbox: while Kafka is down the bridge retries with capped backoff and loses
 * nothing; the process, the API and the projections carry on.
 */
export const OUTBOUND_CHECKPOINT_NAME = 'kafka-outbound';
export const OUTBOUND_CHECKPOINT_VERSION = 1;

/**
 * What an outbound publishes (Eventuous' gateway: subscription → transform → producer): the
 * Avro topics of seeds 000/001 are one, seed 004's JSON feeds another, each with its own
 * checkpoint and lease, so a slow or new feed never holds the other back.
 */
export interface OutboundGateway {
  /** Its checkpoint's and lease's name. */
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  /** Created when missing, checked otherwise, before the first send. */
  readonly topics: readonly TopicSpec[];
  /** The messages of a batch, in order; an event may give none or several. */
  toMessages(events: readonly StoredEvent[]): Promise<OutgoingMessage[]>;
  /** Where a first start begins: START (everything) unless given; a feed starts at the head. */
  firstPosition?(store: EventStore): Promise<Position>;
}

/** Seeds 000/001: one Avro message per published event on its documented topic. */
export function avroGateway(topics: TopicConfig, codec: AvroCodec = avroCodec()): OutboundGateway {
  const topicOf = (t: string): TopicSpec | undefined => topics.published[t as PublishedEventType];
  return {
    name: OUTBOUND_CHECKPOINT_NAME,
    version: OUTBOUND_CHECKPOINT_VERSION,
    eventTypes: Object.keys(topics.published),
    topics: Object.values<TopicSpec>(topics.published),
    toMessages: async (events) =>
      events.map((e) => {
        const spec = topicOf(e.eventType);
        if (!spec) throw new Error(`no topic for ${e.eventType}`); // the subscription filter prevents this
        const headers = messageHeaders(e); // a new object: added to rather than copied
        headers['content-type'] = 'avro/binary';
        headers.schema = codec.schemaName(e.eventType);
        return { topic: spec.topic, key: e.aggregateId || e.streamId, value: codec.encode(e.eventType, e), headers };
      }),
  };
}

/** The headers every published message carries, whatever its encoding. */
export function messageHeaders(e: StoredEvent): Record<string, string> {
  const headers: Record<string, string> = {
    eventType: e.eventType,
    eventId: e.eventId,
    tenantId: e.tenantId,
    correlationId: e.metadata.correlationId,
  };
  // The trace of the command that decided it: consumers continue it (W3C trace context).
  if (e.metadata.traceparent) headers.traceparent = e.metadata.traceparent;
  return headers;
}

export interface OutboundOptions {
  readonly store: EventStore;
  readonly db: Knex;
  readonly transport: KafkaTransport;
  readonly log: Logger;
  readonly topics?: TopicConfig;
  /** What to publish; the Avro topics of seeds 000/001 when absent. */
  readonly gateway?: OutboundGateway;
  /** Events per read and per send. */
  readonly batchSize?: number;
  readonly backoff?: BackoffOptions;
  /** Which instance publishes (one at a time); absent: this one, unconditionally. */
  readonly leases?: Leases;
  /** Defaults to a bounded count through the store port; see lag.ts for the PostgreSQL one. */
  readonly lagCounter?: LagCounter;
  readonly metrics?: Metrics;
}

export interface OutboundStatus {
  readonly name: string;
  readonly running: boolean;
  /** A broker answers (the transport's probe): false within seconds of an outage. */
  readonly connected: boolean;
  /** Everything up to here is acknowledged by Kafka ("commit/prepare"). */
  readonly checkpoint: string;
  /** Null when the event store could not be asked (then lagError says why). */
  readonly head: string | null;
  /** Published-type events after the checkpoint; a lower bound when lagExact is false. */
  readonly lag: number | null;
  readonly lagExact: boolean;
  readonly lagError: string | null;
  readonly caughtUp: boolean;
  readonly published: number;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly topics: readonly TopicCheck[];
}

export interface KafkaOutbound {
  start(): void;
  stop(): Promise<void>;
  status(): Promise<OutboundStatus>;
  /** The subscription it runs on, once started (metrics). */
  subscription(): RunningSubscription | undefined;
}

export function createKafkaOutbound(opts: OutboundOptions): KafkaOutbound {
  const gateway = opts.gateway ?? avroGateway(opts.topics ?? resolveTopics());
  const log = opts.log;
  const eventTypes = gateway.eventTypes;
  const lagCounter = opts.lagCounter ?? storeLagCounter(opts.store);
  const state = {
    published: 0,
    lastError: null as string | null,
    lastErrorAt: null as string | null,
    topicChecks: [] as TopicCheck[],
    topicsEnsured: false,
  };

  async function ensureTopics(): Promise<void> {
    const checks = await opts.transport.ensureTopics(gateway.topics);
    state.topicChecks = checks;
    for (const c of checks) {
      if (c.status === 'created') log.info('kafka topic created', { topic: c.topic, partitions: c.partitions });
      if (c.status === 'partition-mismatch') {
        // Left as it is: changing a partition count moves keys between partitions and breaks order.
        log.warn('kafka topic has a different partition count than documented; not changed', {
          topic: c.topic,
          expected: c.expected,
          actual: c.actual,
        });
      }
    }
    state.topicsEnsured = true;
  }

  /**
   * The previous batch's checkpoint write, under way while this batch is encoded and sent (the
   * send does not wait for it, which was a round trip and a commit per batch). Writes stay in
   * order and conditional: each batch awaits the one before its own, and one that failed fails
   * that batch. A checkpoint only ever follows Kafka's ack of its batch, so a crash resends from
   * the last stored one: at least once, as before.
   */
  let checkpointWrite: Promise<void> | undefined;
  async function previousCheckpoint(): Promise<void> {
    const write = checkpointWrite;
    checkpointWrite = undefined;
    await write;
  }

  /** Sends a batch, then moves the checkpoint: at least once, in order per key. */
  const subscriber: Subscriber = {
    name: gateway.name,
    version: gateway.version,
    eventTypes,
    async handle(events, commit) {
      try {
        if (!state.topicsEnsured) await ensureTopics(); // after a failed send
        const messages = await gateway.toMessages(events);
        try {
          await opts.transport.send(messages);
        } catch (err) {
          state.topicsEnsured = false; // a deleted topic is recreated on the retry
          opts.metrics?.kafkaPublishErrors.inc();
          throw err;
        }
        state.published += messages.length;
        for (const m of messages) opts.metrics?.kafkaMessagesPublished.inc({ topic: m.topic });
      } catch (err) {
        // The subscription resumes from the stored checkpoint: the write before this batch lands first.
        await previousCheckpoint().catch(() => undefined);
        throw err;
      }
      await previousCheckpoint();
      const write = commit(opts.db);
      // Awaited by the next batch or by stop(); a failure meanwhile shows in the status.
      write.catch((err: unknown) => {
        state.lastError = errorMessage(err);
        state.lastErrorAt = new Date().toISOString();
      });
      checkpointWrite = write;
    },
  };

  let running: RunningSubscription | undefined;

  return {
    start() {
      running ??= startSubscription(subscriber, {
        store: opts.store,
        db: opts.db,
        log,
        ...(opts.leases ? { leases: opts.leases } : {}),
        batchSize: opts.batchSize ?? 500,
        // Topics first, as soon as this instance publishes: a failure retries with backoff.
        resume: async (stored) => {
          await ensureTopics();
          return storedPosition(subscriber, stored);
        },
        ...(gateway.firstPosition ? { firstPosition: () => gateway.firstPosition!(opts.store) } : {}),
        ...(opts.backoff ? { backoff: opts.backoff } : {}),
        onError: (err) => {
          state.lastError = errorMessage(err);
          state.lastErrorAt = new Date().toISOString();
        },
        onBatch: (_checkpoint, caughtUp) => {
          if (caughtUp) state.lastError = null;
        },
      });
    },
    async stop() {
      await running?.stop();
      await previousCheckpoint().catch(() => undefined);
    },
    subscription: () => running,
    async status() {
      const sub = running?.status();
      let checkpoint = sub?.checkpoint ?? START;
      // A health check must answer even when the store does not.
      let head: Position | null = null;
      let lag: { count: number | null; exact: boolean } = { count: null, exact: false };
      let lagError: string | null = null;
      try {
        // Another instance publishes: what it has stored is what this one can tell.
        if (!sub?.running) checkpoint = (await readCheckpoints(opts.db, [gateway.name])).get(gateway.name) ?? checkpoint;
        head = await opts.store.headPosition();
        lag = comparePositions(head, checkpoint) <= 0 ? { count: 0, exact: true } : await lagCounter(checkpoint, eventTypes);
      } catch (err) {
        lagError = errorMessage(err);
      }
      return {
        name: gateway.name,
        running: sub?.running ?? false,
        connected: opts.transport.connected(),
        checkpoint: formatPosition(checkpoint),
        head: head && formatPosition(head),
        lag: lag.count,
        lagExact: lag.exact,
        lagError,
        caughtUp: sub?.caughtUp ?? false,
        published: state.published,
        lastError: state.lastError,
        lastErrorAt: state.lastErrorAt,
        topics: state.topicChecks,
      };
    },
  };
}

/**
 * What the outbound bridge has yet to publish, read from its stored checkpoint: for the health
 * output when no bridge runs (KAFKA_BROKERS unset), since the log is the outbox and the
 * backlog waits there.
 */
export async function outboundBacklog(db: Knex, lagCounter: LagCounter): Promise<{ checkpoint: string; lag: number; lagExact: boolean }> {
  const row = (await db('projection_checkpoints').where({ name: OUTBOUND_CHECKPOINT_NAME }).first()) as
    | { position_commit: string; position_prepare: string }
    | undefined;
  const after = row ? { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) } : START;
  const { count, exact } = await lagCounter(after, PUBLISHED_EVENT_TYPES);
  return { checkpoint: formatPosition(after), lag: count, lagExact: exact };
}
