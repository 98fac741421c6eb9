import { type FeedName, feedEnvName } from '../../../src/bridges/kafka/feeds/feedTopics.js';
import { randomUUID } from 'node:crypto';
import { Admin, Consumer, type Message, Producer, compatibilityPartitioner, stringDeserializer, stringSerializer } from '@platformatic/kafka';
import { type BrokerHandle, startBroker } from '../../../scripts/kafka/broker.js';
import { DLQ_ENV_NAME, type TopicConfig, resolveTopics, topicEnvName } from '../../../src/bridges/kafka/topics.js';
import { type Level, type Logger, createLogger } from '../../../src/shared/logger.js';
import { type TestApp, startTestApp } from '../../support/app.js';

/** Quiet by default; KAFKA_TEST_LOG=debug|info|warn|error shows the bridge's logs. */
export function testLogger(): Logger {
  return createLogger((process.env.KAFKA_TEST_LOG as Level | undefined) ?? 'silent', { test: 'kafka' });
}

/** An admin client of our own, independent of the transport under test; close() it. */
export function rawAdmin(brokers: string): Admin {
  return new Admin({ clientId: 'test-verifier', bootstrapBrokers: [brokers] });
}

/** Partition counts of existing topics, read with rawAdmin. */
export async function partitionCounts(brokers: string, topics: readonly string[]): Promise<Map<string, number>> {
  const admin = rawAdmin(brokers);
  try {
    const metadata = await admin.metadata({ topics: [...topics], forceUpdate: true });
    return new Map(topics.map((t) => [t, metadata.topics.get(t)?.partitionsCount ?? 0]));
  } finally {
    await admin.close();
  }
}

export interface ReadMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Reads `topics` from the beginning with a fresh group until `done(messages)` or the timeout. */
export async function readTopics(
  brokers: string,
  topics: readonly string[],
  done: (messages: readonly ReadMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<ReadMessage[]> {
  const consumer = new Consumer<Buffer, Buffer, string, string>({
    clientId: 'test-verifier',
    bootstrapBrokers: [brokers],
    groupId: `verify-${randomUUID()}`,
    maxWaitTime: 500,
    deserializers: { headerKey: stringDeserializer, headerValue: stringDeserializer },
  });
  const messages: ReadMessage[] = [];
  try {
    const stream = await consumer.consume({ topics: [...topics], mode: 'earliest', autocommit: false });
    stream.on('data', (message: Message<Buffer, Buffer, string, string>) => {
      messages.push({
        topic: message.topic,
        partition: message.partition,
        offset: message.offset.toString(),
        key: message.key?.toString() ?? null,
        value: message.value ?? null,
        headers: Object.fromEntries(message.headers),
      });
    });
    try {
      await waitFor(() => done(messages), timeoutMs, `messages on ${topics.join(', ')} (got ${messages.length})`);
    } finally {
      await stream.close();
    }
    return messages;
  } finally {
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
}

/** Produces raw messages (as another context would) and returns their offsets. */
export async function produce(
  brokers: string,
  topic: string,
  messages: { key: string; value: Buffer; headers?: Record<string, string> }[],
): Promise<string[]> {
  const producer = new Producer<Buffer, Buffer, string, string>({
    clientId: 'test-verifier',
    bootstrapBrokers: [brokers],
    partitioner: compatibilityPartitioner, // as the Java client: keys land where other contexts put them
    serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
  });
  try {
    const offsets: string[] = [];
    // One at a time so each message's offset is known.
    for (const m of messages) {
      const result = await producer.send({ acks: -1, messages: [{ topic, key: Buffer.from(m.key), value: m.value, headers: m.headers ?? {} }] });
      offsets.push(result.offsets?.[0]?.offset.toString() ?? '');
    }
    return offsets;
  } finally {
    await producer.close();
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export { freePorts } from '../../../scripts/kafka/broker.js';

/**
 * The broker a suite runs against: KAFKA_BROKERS when given (never stopped by the tests), else
 * a real broker of our own (scripts/kafka/broker.ts).
 */
export async function testBroker(): Promise<BrokerHandle> {
  const external = process.env.KAFKA_BROKERS;
  if (external) return { brokers: external, stop: () => Promise.resolve() };
  return startBroker();
}

/**
 * Topic renames for a suite on a shared broker (KAFKA_BROKERS): every topic gets this run's
 * suffix, so assertions never see an earlier run's messages or offsets. Empty with our own
 * broker, whose topics are fresh anyway.
 */
export function testTopicOverrides(): Record<string, string> {
  if (!process.env.KAFKA_BROKERS) return {};
  const run = randomUUID().slice(0, 8);
  const defaults = resolveTopics();
  const entries: [string, string][] = [
    ...Object.entries(defaults.published).map(([type, spec]): [string, string] => [topicEnvName(type), `${spec.topic}.test-${run}`]),
    ...Object.entries(defaults.inbound).map(([type, spec]): [string, string] => [topicEnvName(type), `${spec.topic}.test-${run}`]),
    ...Object.entries(defaults.feeds).map(([feed, spec]): [string, string] => [feedEnvName(feed as FeedName), `${spec.topic}.test-${run}`]),
    [DLQ_ENV_NAME, `${defaults.dlq.topic}.test-${run}`],
  ];
  return Object.fromEntries(entries);
}

/** The service with KAFKA_BROKERS set, on the suite's broker, with its topic names. */
export interface KafkaService {
  readonly app: TestApp;
  readonly broker: BrokerHandle;
  readonly topics: TopicConfig;
}

/** Registers the calling suite's before/after hooks that start and stop the service and its broker. */
export function kafkaService(): KafkaService {
  const overrides = testTopicOverrides();
  const service = { topics: resolveTopics(overrides) } as { app: TestApp; broker: BrokerHandle; topics: TopicConfig };
  before(async function () {
    this.timeout(180_000);
    service.broker = await testBroker();
    service.app = await startTestApp({ KAFKA_BROKERS: service.broker.brokers, ...overrides });
    // The bridge creates the topics as it starts: a test producing before then meets "Unknown topic".
    await waitFor(async () => (await service.app.request('GET', '/health', { auth: false })).body.kafka?.inbound?.consuming === true, 60_000, 'the inbound consumer');
  });
  after(async function () {
    this.timeout(60_000);
    await service.app?.stop();
    await service.broker?.stop();
  });
  return service;
}
