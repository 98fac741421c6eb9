import type { Knex } from 'knex';
import { type StoredEvent, fromRecorded } from '../../eventstore/envelope.js';
import { type EventStore, type Position, START, comparePositions, formatPosition } from '../../eventstore/port.js';
import { incident } from '../../shared/incident.js';
import type { Logger } from '../../shared/logger.js';
import { type AvroCodec, avroCodec } from './avro.js';
import { Backoff, type BackoffOptions, errorMessage } from '../../shared/backoff.js';
import { type LagCounter, storeLagCounter } from './lag.js';
import { PUBLISHED_EVENT_TYPES, type PublishedEventType, type TopicConfig, type TopicSpec, resolveTopics } from './topics.js';
import type { KafkaTransport, OutgoingMessage, TopicCheck } from './transport.js';

/**
 * The outbound bridge: one more subscriber of the log (DESIGN §6), with its own checkpoint in
 * projection_checkpoints. Per batch: encode, send, and only once Kafka has acknowledged every
 * message (acks=-1) move the checkpoint. A crash or a failed send therefore resends from the
 * last checkpoint: at-least-once, never lost. Key = aggregateId and one in-flight request keep
 * each aggregate's events in order within its topic. Consumers dedupe by the eventId header.
 *
 * The log is the outbox: while Kafka is down the bridge retries with capped backoff and loses
 * nothing; the process, the API and the projections carry on.
 */
export const OUTBOUND_CHECKPOINT_NAME = 'kafka-outbound';
export const OUTBOUND_CHECKPOINT_VERSION = 1;

/** An idle filtered subscription still moves its checkpoint; writing that down this often is enough. */
const IDLE_CHECKPOINT_EVERY_MS = 5_000;

export interface OutboundOptions {
  readonly store: EventStore;
  readonly db: Knex;
  readonly transport: KafkaTransport;
  readonly log: Logger;
  readonly topics?: TopicConfig;
  readonly codec?: AvroCodec;
  /** Events per read and per send. */
  readonly batchSize?: number;
  readonly backoff?: BackoffOptions;
  /** Defaults to a bounded count through the store port; see lag.ts for the PostgreSQL one. */
  readonly lagCounter?: LagCounter;
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
}

class CheckpointMovedError extends Error {}

export function createKafkaOutbound(opts: OutboundOptions): KafkaOutbound {
  const topics = opts.topics ?? resolveTopics();
  const codec = opts.codec ?? avroCodec();
  const log = opts.log;
  const eventTypes = Object.keys(topics.published) as PublishedEventType[];
  const topicOf = (t: string): TopicSpec | undefined => topics.published[t as PublishedEventType];
  const lagCounter = opts.lagCounter ?? storeLagCounter(opts.store);
  const backoff = new Backoff(opts.backoff);
  const controller = new AbortController();
  const state = {
    running: false,
    connected: false,
    checkpoint: START as Position,
    caughtUp: false,
    published: 0,
    lastError: null as string | null,
    lastErrorAt: null as string | null,
    topicChecks: [] as TopicCheck[],
    topicsEnsured: false,
  };
  let loop: Promise<void> | undefined;

  function toMessage(e: StoredEvent): OutgoingMessage {
    const spec = topicOf(e.eventType);
    if (!spec) throw new Error(`no topic for ${e.eventType}`); // the subscription filter prevents this
    return {
      topic: spec.topic,
      key: e.aggregateId || e.streamId,
      value: codec.encode(e.eventType, e),
      headers: {
        eventType: e.eventType,
        eventId: e.eventId,
        tenantId: e.tenantId,
        correlationId: e.metadata.correlationId,
        'content-type': 'avro/binary',
        schema: codec.schemaName(e.eventType),
      },
    };
  }

  async function loadCheckpoint(): Promise<Position> {
    const row = (await opts.db('projection_checkpoints').where({ name: OUTBOUND_CHECKPOINT_NAME }).first()) as
      | { version: number | string; position_commit: string; position_prepare: string }
      | undefined;
    if (!row) {
      await opts.db('projection_checkpoints')
        .insert({ name: OUTBOUND_CHECKPOINT_NAME, version: OUTBOUND_CHECKPOINT_VERSION, position_commit: '0', position_prepare: '0' })
        .onConflict('name')
        .ignore();
      return START;
    }
    if (Number(row.version) !== OUTBOUND_CHECKPOINT_VERSION) {
      throw new Error(`${OUTBOUND_CHECKPOINT_NAME} checkpoint is at version ${row.version}, code expects ${OUTBOUND_CHECKPOINT_VERSION}`);
    }
    return { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) };
  }

  /** Conditional, as in the projection runner: two bridges cannot both advance one checkpoint. */
  async function saveCheckpoint(from: Position, to: Position): Promise<void> {
    const updated = await opts.db('projection_checkpoints')
      .where({ name: OUTBOUND_CHECKPOINT_NAME, position_commit: from.commit.toString(), position_prepare: from.prepare.toString() })
      .update({ position_commit: to.commit.toString(), position_prepare: to.prepare.toString(), updated_at: opts.db.fn.now() });
    if (updated !== 1) throw new CheckpointMovedError(`${OUTBOUND_CHECKPOINT_NAME} checkpoint moved under this bridge`);
  }

  async function ensureTopics(): Promise<void> {
    const specs = Object.values<TopicSpec>(topics.published);
    const checks = await opts.transport.ensureTopics(specs);
    state.connected = true;
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

  async function runOnce(): Promise<void> {
    if (!state.topicsEnsured) await ensureTopics();
    let stored = await loadCheckpoint();
    state.checkpoint = stored;
    let lastWrite = Date.now();
    for await (const batch of opts.store.subscribeToAll({
      after: stored,
      filter: { eventTypes },
      batchSize: opts.batchSize ?? 500,
      signal: controller.signal,
    })) {
      if (batch.events.length > 0) {
        const messages = batch.events.map((r) => toMessage(fromRecorded(r)));
        try {
          await opts.transport.send(messages);
        } catch (err) {
          state.connected = false;
          state.topicsEnsured = false; // a deleted topic is recreated on the retry
          throw err;
        }
        state.connected = true;
        outage.recover({ checkpoint: formatPosition(batch.checkpoint) });
        state.published += messages.length;
        await saveCheckpoint(stored, batch.checkpoint);
        stored = batch.checkpoint;
        lastWrite = Date.now();
        backoff.reset();
      } else if (Date.now() - lastWrite >= IDLE_CHECKPOINT_EVERY_MS) {
        await saveCheckpoint(stored, batch.checkpoint);
        stored = batch.checkpoint;
        lastWrite = Date.now();
      }
      // In memory the checkpoint may run ahead of the stored one: nothing below it is unsent.
      state.checkpoint = batch.checkpoint;
      state.caughtUp = batch.caughtUp;
      if (state.caughtUp) {
        state.lastError = null;
        outage.recover({ checkpoint: formatPosition(batch.checkpoint) });
      }
    }
  }

  // One line when publishing starts failing (broker or database gone), one when it resumes.
  const outage = incident(log, 'kafka outbound');

  async function run(): Promise<void> {
    state.running = true;
    try {
      while (!controller.signal.aborted) {
        try {
          await runOnce();
        } catch (err) {
          if (controller.signal.aborted) return;
          state.lastError = errorMessage(err);
          state.lastErrorAt = new Date().toISOString();
          state.caughtUp = false;
          if (err instanceof CheckpointMovedError) {
            log.warn('kafka outbound checkpoint moved by another instance; reloading it', { error: state.lastError });
          } else {
            outage.fail(err, { checkpoint: formatPosition(state.checkpoint) });
          }
          await backoff.wait(controller.signal);
        }
      }
    } finally {
      state.running = false;
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      controller.abort();
      await loop;
    },
    async status() {
      const checkpoint = state.checkpoint;
      // A health check must answer even when the store does not.
      let head: Position | null = null;
      let lag: { count: number | null; exact: boolean } = { count: null, exact: false };
      let lagError: string | null = null;
      try {
        head = await opts.store.headPosition();
        lag = comparePositions(head, checkpoint) <= 0 ? { count: 0, exact: true } : await lagCounter(checkpoint, eventTypes);
      } catch (err) {
        lagError = errorMessage(err);
      }
      return {
        name: OUTBOUND_CHECKPOINT_NAME,
        running: state.running,
        connected: opts.transport.connected(),
        checkpoint: formatPosition(checkpoint),
        head: head && formatPosition(head),
        lag: lag.count,
        lagExact: lag.exact,
        lagError,
        caughtUp: state.caughtUp,
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
