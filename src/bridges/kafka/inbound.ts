import { SpanKind, extractTraceContext, withSpan } from '../../observability/tracing.js';
import { errorMessage } from '../../shared/backoff.js';
import { type AvroRecord, avroCodec } from './avro.js';
import { consumedCodec } from './jsonConsumed.js';
import { envelopeProblem } from './consumedEnvelope.js';
import { type DeadLetterReason, deadLetterMessage } from './deadLetter.js';
import { type InboundContext, type InboundHandler, RejectedMessageError } from './inboundHandler.js';
import type { InboundOptions } from './inboundOptions.js';
import type { InboundStatus } from './inboundStatus.js';
import { applyOnce, isPermanentDbError } from './inbox.js';
import type { ConsumedRecords } from './records.js';
import { Stopped, retryInPlace } from './retryInPlace.js';
import { type ConsumedEventType, type TopicSpec, resolveTopics } from './topics.js';
import type { Consumption, IncomingMessage, TopicCheck } from './transport.js';

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

export interface KafkaInbound {
  start(): void;
  /** Resolves once the consumer has joined its group. */
  ready(): Promise<void>;
  stop(): Promise<void>;
  status(): InboundStatus;
}

export function createKafkaInbound(opts: InboundOptions): KafkaInbound {
  const topics = opts.topics ?? resolveTopics();
  const codec = consumedCodec(opts.codec ?? avroCodec());
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

  const retry = { log, signal: controller.signal, onFailure: noteError, ...(opts.backoff ? { backoff: opts.backoff } : {}) };
  const persist = <T>(what: string, f: () => Promise<T>, permanent?: (err: unknown) => boolean) => retryInPlace(retry, what, f, permanent);

  async function deadLetter(msg: IncomingMessage, reason: DeadLetterReason, error: string): Promise<void> {
    await persist('dead-lettering', () => opts.transport.send([deadLetterMessage(msg, topics.dlq.topic, reason, error)]));
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
      () => applyOnce(opts.db, handler, record, ctx),
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
