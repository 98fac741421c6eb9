import type { Knex } from 'knex';
import { TENANT_ID_PATTERN } from '../../eventstore/streams.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { SpanKind, extractTraceContext, withSpan } from '../../observability/tracing.js';
import { type AvroCodec, type AvroRecord, avroCodec } from './avro.js';
import { Backoff, type BackoffOptions, errorMessage } from '../../shared/backoff.js';
import { incident } from '../../shared/incident.js';
import type { ConsumedRecords } from './records.js';
import { type ConsumedEventType, type TopicConfig, type TopicSpec, resolveTopics } from './topics.js';
import type { Consumption, IncomingMessage, KafkaTransport, TopicCheck } from './transport.js';

/**
 * The inbound bridge: consumer group crm-pipeline-cg over the topics of the events we consume.
 *
 * Exactly-once effect: the inbox row (event id primary key) is inserted in the same database
 * transaction as the handler's writes, so a redelivered event finds its id and changes nothing.
 * Poison never blocks the loop: a message that cannot be decoded, names no type we consume, or
 * lacks a valid envelope goes to the dead-letter topic with the reason in headers, and the next
 * message is processed. Transient failures (database or broker down) are retried in place with
 * backoff, because skipping them would lose effects and reorder a key's events.
 */
export const CONSUMER_GROUP = 'crm-pipeline-cg';

export interface InboundContext {
  readonly eventType: ConsumedEventType;
  readonly eventId: string;
  readonly tenantId: string;
  /** The event's own timestamp (the record's), not the Kafka message's. */
  readonly occurredAt: Date;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type InboundHandler<R> = (trx: Knex.Transaction, record: R, ctx: InboundContext) => Promise<void>;

/** Handlers by event type. A type without a handler is not subscribed to: its messages wait in Kafka. */
export type InboundHandlers = { readonly [K in ConsumedEventType]?: InboundHandler<ConsumedRecords[K]> };

/** Thrown by a handler for a message that can never succeed (unknown opportunity, bad date...): it is dead-lettered. */
export class RejectedMessageError extends Error {
  override name = 'RejectedMessageError';
}

export type DeadLetterReason = 'decode-error' | 'unknown-event-type' | 'invalid-envelope' | 'rejected';

export interface InboundOptions {
  readonly db: Knex;
  readonly transport: KafkaTransport;
  readonly log: Logger;
  /** kafka_inbound_messages_total by topic and outcome. */
  readonly metrics?: Metrics;
  readonly handlers: InboundHandlers;
  readonly topics?: TopicConfig;
  readonly codec?: AvroCodec;
  readonly groupId?: string;
  readonly backoff?: BackoffOptions;
  /**
   * Whether a consumed record is one this service published itself (a type we both publish
   * and consume: CustomerProfileUpdatedEvent on crm.customer360.profile.updated). Such a
   * record is skipped: no inbox row, no effect, counted as `own`. See ownEvents.ts.
   */
  readonly isOwnEvent?: (eventType: ConsumedEventType, record: AvroRecord) => Promise<boolean>;
}

export interface InboundStatus {
  readonly running: boolean;
  /** A broker answers (the transport's probe). */
  readonly connected: boolean;
  readonly consuming: boolean;
  readonly topics: readonly string[];
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** Our own published events read back from a topic we also consume, and skipped. */
  readonly ownSkipped: number;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly topicChecks: readonly TopicCheck[];
}

export interface KafkaInbound {
  start(): void;
  /** Resolves once the consumer has joined its group. */
  ready(): Promise<void>;
  stop(): Promise<void>;
  status(): InboundStatus;
}

class Stopped extends Error {}

/** PostgreSQL data (22) and integrity (23) errors will fail the same way every time. */
function isPermanentDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)/.test(code);
}

export function createKafkaInbound(opts: InboundOptions): KafkaInbound {
  const topics = opts.topics ?? resolveTopics();
  const codec = opts.codec ?? avroCodec();
  const log = opts.log;
  const controller = new AbortController();
  const handled = (Object.keys(opts.handlers) as ConsumedEventType[]).filter((t) => opts.handlers[t] !== undefined);
  const specs: TopicSpec[] = handled.map((t) => topics.inbound[t]);
  const topicNames = [...new Set(specs.map((s) => s.topic))];
  // One topic carries one event type; the eventType header wins when both are present.
  const typeOfTopic = new Map<string, ConsumedEventType>(handled.map((t) => [topics.inbound[t].topic, t]));
  const state = {
    running: false,
    consuming: false,
    applied: 0,
    duplicates: 0,
    deadLettered: 0,
    ownSkipped: 0,
    lastError: null as string | null,
    lastErrorAt: null as string | null,
    topicChecks: [] as TopicCheck[],
  };
  let consumption: Consumption | undefined;
  let markReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));
  let starting: Promise<void> | undefined;

  const noteError = (err: unknown) => {
    state.lastError = errorMessage(err);
    state.lastErrorAt = new Date().toISOString();
  };

  /** Retries `f` with capped backoff until it succeeds or the bridge stops (then throws Stopped). */
  async function persist<T>(what: string, f: () => Promise<T>, permanent: (err: unknown) => boolean = () => false): Promise<T> {
    const backoff = new Backoff(opts.backoff);
    const outage = incident(log, `kafka inbound: ${what}`);
    for (;;) {
      if (controller.signal.aborted) throw new Stopped();
      try {
        const result = await f();
        outage.recover();
        return result;
      } catch (err) {
        if (permanent(err)) throw err;
        noteError(err);
        outage.fail(err);
        await backoff.wait(controller.signal);
      }
    }
  }

  async function deadLetter(msg: IncomingMessage, reason: DeadLetterReason, error: string): Promise<void> {
    await persist('dead-lettering', () =>
      opts.transport.send([
        {
          topic: topics.dlq.topic,
          key: msg.key?.toString() ?? null,
          value: msg.value ?? Buffer.alloc(0),
          headers: {
            ...msg.headers,
            'error-message': error.slice(0, 2_000),
            'error-type': reason,
            'original-topic': msg.topic,
            'original-partition': String(msg.partition),
            'original-offset': msg.offset,
          },
        },
      ]),
    );
    state.deadLettered++;
    opts.metrics?.kafkaInboundMessages.inc({ topic: msg.topic, outcome: 'dead_lettered' });
    log.warn('kafka inbound: message dead-lettered', {
      reason,
      error,
      topic: msg.topic,
      partition: msg.partition,
      offset: msg.offset,
      dlq: topics.dlq.topic,
    });
  }

  /** The envelope every consumed record must carry; undefined when valid, else why not. */
  function envelopeProblem(record: AvroRecord, msg: IncomingMessage): string | undefined {
    const { eventId, tenantId, timestamp } = record;
    if (typeof eventId !== 'string' || eventId.trim() === '' || eventId.length > 200) return 'eventId is missing or invalid';
    if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) return `tenantId ${JSON.stringify(tenantId)} is missing or invalid`;
    if (typeof timestamp !== 'number' || !Number.isFinite(new Date(timestamp).getTime())) return 'timestamp is not a valid instant';
    if (msg.headers.tenantId !== undefined && msg.headers.tenantId !== tenantId) return 'tenantId header and record disagree';
    return undefined;
  }

  async function apply<K extends ConsumedEventType>(eventType: K, record: ConsumedRecords[K], msg: IncomingMessage): Promise<void> {
    const handler = opts.handlers[eventType] as InboundHandler<ConsumedRecords[K]>;
    const ctx: InboundContext = {
      eventType,
      eventId: record.eventId,
      tenantId: record.tenantId,
      occurredAt: new Date(record.timestamp),
      topic: msg.topic,
      partition: msg.partition,
      offset: msg.offset,
      headers: msg.headers,
    };
    const outcome = await persist(
      `applying ${eventType} ${record.eventId}`,
      () =>
        opts.db.transaction(async (trx) => {
          const inserted: unknown[] = await trx('kafka_inbox')
            .insert({
              event_id: record.eventId,
              event_type: eventType,
              topic: msg.topic,
              partition: msg.partition,
              offset: msg.offset,
              tenant_id: record.tenantId,
            })
            .onConflict(['tenant_id', 'event_id'])
            .ignore()
            .returning('event_id');
          if (inserted.length === 0) return 'duplicate' as const;
          await handler(trx, record, ctx);
          return 'applied' as const;
        }),
      (err) => err instanceof RejectedMessageError || isPermanentDbError(err),
    );
    if (outcome === 'duplicate') state.duplicates++;
    else state.applied++;
    opts.metrics?.kafkaInboundMessages.inc({ topic: msg.topic, outcome: outcome === 'duplicate' ? 'duplicate' : 'processed' });
  }

  /** Each message in a consumer span that continues the producer's trace (traceparent header). */
  const onMessage = (msg: IncomingMessage): Promise<void> =>
    withSpan('kafka consume', { 'messaging.destination.name': msg.topic, 'messaging.kafka.offset': msg.offset }, () => handleMessage(msg), {
      kind: SpanKind.CONSUMER,
      parent: extractTraceContext(msg.headers),
    });

  async function handleMessage(msg: IncomingMessage): Promise<void> {
    const headerType = msg.headers.eventType;
    const eventType = headerType ?? typeOfTopic.get(msg.topic);
    if (eventType === undefined || !(handled as string[]).includes(eventType) || !codec.has(eventType)) {
      await deadLetter(msg, 'unknown-event-type', `no consumer for event type ${JSON.stringify(eventType ?? null)} on ${msg.topic}`);
      return;
    }
    const type = eventType as ConsumedEventType;
    let record: AvroRecord;
    try {
      if (!msg.value) throw new Error('empty message value');
      record = codec.decode(type, msg.value);
    } catch (err) {
      await deadLetter(msg, 'decode-error', errorMessage(err));
      return;
    }
    const problem = envelopeProblem(record, msg);
    if (problem) {
      await deadLetter(msg, 'invalid-envelope', problem);
      return;
    }
    if (opts.isOwnEvent) {
      const own = opts.isOwnEvent;
      if (await persist(`checking whether ${type} ${String(record.eventId)} is ours`, () => own(type, record))) {
        state.ownSkipped++;
        opts.metrics?.kafkaInboundMessages.inc({ topic: msg.topic, outcome: 'own' });
        log.debug('kafka inbound: skipped an event this service published', { eventType: type, eventId: record.eventId, topic: msg.topic });
        return;
      }
    }
    try {
      // The Avro schema has just validated the shape that ConsumedRecords describes.
      await apply(type, record as unknown as ConsumedRecords[typeof type], msg);
    } catch (err) {
      if (err instanceof Stopped) throw err;
      await deadLetter(msg, 'rejected', errorMessage(err));
    }
  }

  async function begin(): Promise<void> {
    state.running = true;
    if (topicNames.length === 0) {
      log.warn('kafka inbound: no handlers registered; not consuming');
      return;
    }
    // Our DLQ, and the inbound topics in case this is a fresh cluster; existing ones are only checked.
    state.topicChecks = await persist('checking topics', () => opts.transport.ensureTopics([...specs, topics.dlq]));
    for (const c of state.topicChecks) {
      if (c.status === 'partition-mismatch') log.warn('kafka topic has an unexpected partition count', { ...c });
    }
    consumption = opts.transport.consume(opts.groupId ?? CONSUMER_GROUP, topicNames, onMessage, {
      fromBeginning: true,
      onError: (err) => {
        noteError(err);
        log.warn('kafka inbound consumer error; it recovers by itself', { error: state.lastError });
      },
    });
    void consumption.ready.then(() => {
      state.consuming = true;
      markReady();
    });
  }

  return {
    start() {
      starting ??= begin().catch((err: unknown) => {
        if (!(err instanceof Stopped)) noteError(err);
      });
    },
    ready: () => readyPromise,
    async stop() {
      controller.abort();
      await starting;
      await consumption?.stop();
      state.running = false;
      state.consuming = false;
    },
    status: () => ({
      running: state.running,
      connected: opts.transport.connected(),
      consuming: state.consuming,
      topics: topicNames,
      applied: state.applied,
      duplicates: state.duplicates,
      deadLettered: state.deadLettered,
      ownSkipped: state.ownSkipped,
      lastError: state.lastError,
      lastErrorAt: state.lastErrorAt,
      topicChecks: state.topicChecks,
    }),
  };
}
