import kafkajs from 'kafkajs';
import type { Consumer, IHeaders, Kafka as KafkaClient, LogEntry, Message, Producer } from 'kafkajs';
import type { Logger } from '../../shared/logger.js';
import { Backoff } from '../../shared/backoff.js';
import type { TopicSpec } from './topics.js';
import type { Consumption, ConsumeOptions, IncomingMessage, KafkaTransport, OutgoingMessage, TopicCheck } from './transport.js';

// kafkajs is CommonJS and Node's named-export detection misses some of its exports (see
// scripts/kafka/broker.ts): take values from the default export, types from the typings.
const { Kafka, Partitioners, logLevel } = kafkajs;

export interface KafkajsTransportOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly log: Logger;
  /** Replication factor of topics we create; the broker's default.replication.factor when unset. */
  readonly replicationFactor?: number;
  /** Consumer long-poll; small values make stop() quick (kafkajs waits out the in-flight fetch). */
  readonly maxWaitTimeInMs?: number;
}

/**
 * kafkajs behind the bridge's transport interface.
 *
 * Producer: acks=-1 and maxInFlightRequests=1, so a retried request can never be overtaken by
 * a later one and per-partition order holds. Idempotent, because kafkajs retries a failed
 * produce request as a whole: without producer sequence numbers, the partitions that had
 * succeeded would be written twice (seen on a fresh topic whose leader is not quite ready).
 * Its retries are bounded, unlike kafkajs's idempotent default of "forever": the bridge wants a
 * failure it can back off from and show in its status, and it owns the long backoff. That only
 * weakens exactly-once, which the bridge never claims (it is at-least-once by design), and
 * every failed producer is dropped, so a new one starts with fresh sequence numbers.
 */
export function createKafkajsTransport(options: KafkajsTransportOptions): KafkaTransport {
  const log = options.log;
  const kafka: KafkaClient = new Kafka({
    clientId: options.clientId ?? 'crm-pipeline',
    brokers: [...options.brokers],
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 3_000 },
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log;
      // kafkajs reports every refused connection as an error while it retries: the bridge logs
      // the failure that matters itself, so kafkajs's own noise is one level down.
      const msg = `kafkajs ${entry.namespace}: ${message}`;
      const extra = { ...fields, label: entry.label };
      // Deliberate (see below), so not worth a warning on every producer we create.
      const expected = typeof message === 'string' && message.startsWith('Limiting retries for the idempotent producer');
      if (entry.level <= logLevel.WARN && !expected) log.warn(msg, extra);
      else log.debug(msg, extra);
    },
  });

  let producer: Promise<Producer> | undefined;
  const consumptions = new Set<Consumption>();
  let closed = false;

  function getProducer(): Promise<Producer> {
    producer ??= (async () => {
      const p = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner, // murmur2, as the Java client
        maxInFlightRequests: 1,
        idempotent: true,
        retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 3_000 },
        allowAutoTopicCreation: false,
      });
      await p.connect();
      return p;
    })();
    const current = producer;
    current.catch(() => {
      if (producer === current) producer = undefined;
    });
    return current;
  }


  async function ensureTopics(specs: readonly TopicSpec[]): Promise<TopicCheck[]> {
    const admin = kafka.admin({ retry: { retries: 3 } });
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length > 0) {
        // Returns false rather than failing when another instance created one first.
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            ...(options.replicationFactor ? { replicationFactor: options.replicationFactor } : {}),
          })),
        });
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
      const actual = new Map(topics.map((t) => [t.name, t.partitions.length]));
      const created = new Set(missing.map((s) => s.topic));
      return specs.map((s): TopicCheck => {
        const partitions = actual.get(s.topic) ?? 0;
        if (partitions !== s.partitions) {
          return { topic: s.topic, status: 'partition-mismatch', expected: s.partitions, actual: partitions };
        }
        return { topic: s.topic, status: created.has(s.topic) ? 'created' : 'ok', partitions };
      });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async function send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (closed) throw new Error('Kafka transport is closed');
    const byTopic = new Map<string, Message[]>();
    for (const m of messages) {
      let list = byTopic.get(m.topic);
      if (!list) byTopic.set(m.topic, (list = []));
      list.push({ key: m.key, value: m.value, headers: { ...m.headers } });
    }
    const pending = getProducer();
    const p = await pending;
    try {
      await p.sendBatch({
        acks: -1,
        timeout: 30_000,
        topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
      });
    } catch (err) {
      // A failed producer is dropped and rebuilt on the next send: fresh connections and metadata.
      if (producer === pending) producer = undefined;
      await p.disconnect().catch(() => undefined);
      throw err;
    }
  }

  function consume(
    groupId: string,
    topics: readonly string[],
    handler: (message: IncomingMessage) => Promise<void>,
    opts: ConsumeOptions = {},
  ): Consumption {
    const stop = new AbortController();
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    const reportError = (err: unknown) => opts.onError?.(err instanceof Error ? err : new Error(String(err)));

    // kafkajs restarts a crashed consumer itself after retriable errors and gives up after the
    // others; this loop then builds a new consumer after a backoff, until stopped.
    const run = async (): Promise<void> => {
      const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
      while (!stop.signal.aborted) {
        const c: Consumer = kafka.consumer({
          groupId,
          maxWaitTimeInMs: options.maxWaitTimeInMs ?? 500,
          allowAutoTopicCreation: false,
          retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 3_000, restartOnFailure: async () => !stop.signal.aborted },
        });
        const gaveUp = new Promise<void>((resolve) =>
          c.on(c.events.CRASH, (e) => {
            reportError(e.payload.error);
            if (!e.payload.restart) resolve();
          }),
        );
        c.on(c.events.GROUP_JOIN, () => markReady());
        try {
          await c.connect();
          await c.subscribe({ topics: [...topics], fromBeginning: opts.fromBeginning ?? true });
          await c.run({
            eachMessage: async ({ topic, partition, message, heartbeat }) => {
              // A handler may wait out a database outage: keep the group membership alive meanwhile.
              const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
              try {
                await handler({
                  topic,
                  partition,
                  offset: message.offset,
                  key: message.key ?? null,
                  value: message.value ?? null,
                  headers: textHeaders(message.headers),
                  timestamp: message.timestamp,
                });
              } finally {
                clearInterval(beat);
              }
            },
          });
          await Promise.race([gaveUp, stopped]);
        } catch (err) {
          reportError(err);
        }
        await c.disconnect().catch(() => undefined);
        if (!stop.signal.aborted) await backoff.wait(stop.signal);
      }
    };
    const running = run();

    const consumption: Consumption = {
      ready,
      async stop() {
        stop.abort();
        await running;
        consumptions.delete(consumption);
      },
    };
    consumptions.add(consumption);
    return consumption;
  }

  async function close(): Promise<void> {
    closed = true;
    await Promise.all([...consumptions].map((c) => c.stop()));
    const p = producer;
    producer = undefined;
    if (p) await p.then((x) => x.disconnect()).catch(() => undefined);
  }

  return { ensureTopics, send, consume, close };
}

function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}
