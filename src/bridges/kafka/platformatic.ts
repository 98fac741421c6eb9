import type { BaseOptions, Producer } from '@platformatic/kafka';
import type { Logger } from '../../shared/logger.js';
import { connectionProbe } from './connectionProbe.js';
import type { KafkaClient } from './kafkaClient.js';
import { hasKafkaError, plainError } from './kafkaErrors.js';
import { startConsumption } from './platformaticConsumer.js';
import type { TopicSpec } from './topics.js';
import type { Consumption, ConsumeOptions, IncomingMessage, KafkaTransport, OutgoingMessage, TopicCheck } from './transport.js';

export interface PlatformaticTransportOptions {
  /** The library, from loadKafkaClient(). */
  readonly client: KafkaClient;
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly log: Logger;
  /** Replication factor of topics we create; the broker's default.replication.factor when unset. */
  readonly replicationFactor?: number;
  /** Consumer long-poll; small values make stop() quick (a close waits out the in-flight fetch). */
  readonly maxWaitTimeInMs?: number;
  /** How often connected() is re-checked with a metadata request. */
  readonly probeEveryMs?: number;
}

const CREATE_WAIT_MS = 15_000;

/**
 * A key's bytes and its partition as compatibilityPartitioner gives it (before the library takes
 * it modulo the topic's partition count), kept per key: a batch repeats its aggregates' keys, and
 * the hash was a few µs of every message. Bounded: cleared when full.
 */
const KEYS_KEPT = 10_000;
const keys = new Map<string, { readonly key: Buffer; readonly partition: number }>();
function keyed(key: string, partitioner: KafkaClient['compatibilityPartitioner']): { readonly key: Buffer; readonly partition: number } {
  let k = keys.get(key);
  if (!k) {
    if (keys.size >= KEYS_KEPT) keys.clear();
    const bytes = Buffer.from(key);
    k = { key: bytes, partition: partitioner({ topic: '', key: bytes }, bytes) };
    keys.set(key, k);
  }
  return k;
}

/**
 * Header names are the bridge's few fixed ones: encoded once each rather than once per message.
 * Bounded all the same, in case a caller ever names headers from data.
 */
const headerKeys = new Map<string, Buffer>();
function headerKeyBytes(key: string | undefined): Buffer | undefined {
  if (key === undefined) return undefined;
  let bytes = headerKeys.get(key);
  if (!bytes) {
    if (headerKeys.size >= 64) headerKeys.clear();
    bytes = Buffer.from(key, 'utf-8');
    headerKeys.set(key, bytes);
  }
  return bytes;
}

/**
 * @platformatic/kafka behind the bridge's transport interface.
 *
 * Producer: idempotent, which the library pairs with acks=-1 and one request in flight per
 * connection, so a retried request is never overtaken by a later one and is not written twice.
 * Its retries are bounded (the library's idempotent default is "forever"): the bridge wants a
 * failure it can back off from and show in its status, and it owns the long backoff. A failed
 * producer is closed and the next send starts a new one, with a new producer id, so a batch
 * resent from the checkpoint never trips over the old one's sequence numbers.
 * Keys go to partitions as the Java client and kafkajs put them (murmur2 & 0x7fffffff), so
 * keys keep their partition, and their order, across the switch from kafkajs.
 */
export function createPlatformaticTransport(options: PlatformaticTransportOptions): KafkaTransport {
  const { Admin, Producer, compatibilityPartitioner, stringSerializer } = options.client;
  const clientId = options.clientId ?? 'crm-pipeline';
  const base: BaseOptions = {
    clientId,
    bootstrapBrokers: [...options.brokers],
    connectTimeout: 3_000,
    timeout: 30_000,
    retries: 5,
    retryDelay: 300,
  };

  let producer: Producer<Buffer, Buffer, string, string> | undefined;
  const consumptions = new Set<Consumption>();
  let closed = false;
  const probe = connectionProbe(Admin, base, options.probeEveryMs ?? 1_000, options.log);

  function getProducer(): Producer<Buffer, Buffer, string, string> {
    producer ??= new Producer<Buffer, Buffer, string, string>({
      ...base,
      idempotent: true,
      retries: 5, // kept: the library turns an idempotent producer's retries <= 1 into "forever"
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
      serializers: { headerKey: headerKeyBytes, headerValue: stringSerializer },
    });
    return producer;
  }

  async function ensureTopics(specs: readonly TopicSpec[]): Promise<TopicCheck[]> {
    const admin = new Admin({ ...base, retries: 3 });
    try {
      const existing = new Set(await admin.listTopics());
      const created = new Set<string>();
      // One request per topic: the API takes one partition count per call.
      for (const s of specs.filter((x) => !existing.has(x.topic))) {
        try {
          await admin.createTopics({ topics: [s.topic], partitions: s.partitions, replicas: options.replicationFactor ?? -1 });
          created.add(s.topic);
        } catch (err) {
          // Another instance created it first: then it is checked like any existing one.
          if (!hasKafkaError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
        }
      }
      const names = specs.map((s) => s.topic);
      // A new topic's partitions need leaders before the first produce can succeed.
      const deadline = Date.now() + CREATE_WAIT_MS;
      for (;;) {
        const metadata = await admin.metadata({ topics: names, forceUpdate: true });
        const ready = [...created].every((t) => metadata.topics.get(t)?.partitions.every((p) => p.leader >= 0));
        if (ready || Date.now() > deadline) {
          return specs.map((s): TopicCheck => {
            const partitions = metadata.topics.get(s.topic)?.partitionsCount ?? 0;
            if (partitions !== s.partitions) {
              return { topic: s.topic, status: 'partition-mismatch', expected: s.partitions, actual: partitions };
            }
            return { topic: s.topic, status: created.has(s.topic) ? 'created' : 'ok', partitions };
          });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (err) {
      throw plainError(err);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  async function send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (closed) throw new Error('Kafka transport is closed');
    const p = getProducer();
    try {
      // One call: messages of one partition go in one batch, in array order.
      await p.send({
        messages: messages.map((m) => ({
          topic: m.topic,
          ...(m.key === null ? {} : keyed(m.key, compatibilityPartitioner)),
          value: m.value,
          // Read, never written, by the library: no copy (one per message).
          headers: m.headers as Record<string, string>,
        })),
      });
    } catch (err) {
      if (producer === p) producer = undefined;
      await p.close().catch(() => undefined);
      throw plainError(err);
    }
  }

  function consume(
    groupId: string,
    topics: readonly string[],
    handler: (message: IncomingMessage) => Promise<void>,
    opts: ConsumeOptions = {},
  ): Consumption {
    const started = startConsumption({ Consumer: options.client.Consumer, base, maxWaitTimeInMs: options.maxWaitTimeInMs ?? 500 }, groupId, topics, handler, opts);
    const consumption: Consumption = {
      ready: started.ready,
      async stop() {
        await started.stop();
        consumptions.delete(consumption);
      },
    };
    consumptions.add(consumption);
    return consumption;
  }

  async function close(): Promise<void> {
    closed = true;
    await Promise.all([...consumptions].map((c) => c.stop()));
    await probe.close();
    const p = producer;
    producer = undefined;
    if (p) await p.close().catch(() => undefined);
  }

  return { ensureTopics, send, consume, connected: probe.connected, close };
}
