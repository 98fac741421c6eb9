import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { IHeaders } from 'kafkajs';
import { type BrokerHandle, startBroker } from '../../../scripts/kafka/broker.js';
import { DLQ_ENV_NAME, resolveTopics, topicEnvName } from '../../../src/bridges/kafka/topics.js';
import { type Level, type Logger, createLogger } from '../../../src/shared/logger.js';

// Default export: kafkajs's CommonJS named exports are not all detected (scripts/kafka/README.md).
const { Kafka, Partitioners, logLevel } = kafkajs;

/** Quiet by default; KAFKA_TEST_LOG=debug|info|warn|error shows the bridge's and kafkajs's logs. */
export function testLogger(): Logger {
  return createLogger((process.env.KAFKA_TEST_LOG as Level | undefined) ?? 'silent', { test: 'kafka' });
}

export function rawKafka(brokers: string) {
  return new Kafka({ clientId: 'test-verifier', brokers: [brokers], logLevel: logLevel.NOTHING });
}

export interface ReadMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

function text(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

/** Reads `topics` from the beginning with a fresh group until `done(messages)` or the timeout. */
export async function readTopics(
  brokers: string,
  topics: readonly string[],
  done: (messages: readonly ReadMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<ReadMessage[]> {
  const consumer = rawKafka(brokers).consumer({ groupId: `verify-${randomUUID()}`, maxWaitTimeInMs: 500 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: text(message.headers),
        });
      },
    });
    await waitFor(() => done(messages), timeoutMs, `messages on ${topics.join(', ')} (got ${messages.length})`);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/** Produces raw messages (as another context would) and returns their offsets. */
export async function produce(
  brokers: string,
  topic: string,
  messages: { key: string; value: Buffer; headers?: Record<string, string> }[],
): Promise<string[]> {
  const producer = rawKafka(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const offsets: string[] = [];
    // One at a time so each message's offset is known.
    for (const m of messages) {
      const [meta] = await producer.send({ topic, acks: -1, messages: [m] });
      offsets.push(meta!.baseOffset ?? '');
    }
    return offsets;
  } finally {
    await producer.disconnect();
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
    [DLQ_ENV_NAME, `${defaults.dlq.topic}.test-${run}`],
  ];
  return Object.fromEntries(entries);
}
