/**
 * Proves kafkajs (the project's client) works against the pinned broker: admin topic creation,
 * keyed produce with acks=-1, a consumer group reading everything back in per-key
 * order, and topic metadata. Exits non-zero on any failure.
 *
 *   npx tsx scripts/kafka/verify.ts
 */
import kafkajs from 'kafkajs';
import { KAFKA_VERSION, startBroker } from './broker.js';

// Default export: see broker.ts on kafkajs's CommonJS named exports.
const { Kafka, Partitioners, logLevel } = kafkajs;

const TOPIC = 'verify-topic';
const PARTITIONS = 6;
const MESSAGES = 100;
const KEYS = 10;
const CONSUME_TIMEOUT_MS = 30_000;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`verify failed: ${message}`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const broker = await startBroker();
  const startMs = Date.now() - t0;
  console.log(`broker ${KAFKA_VERSION} up at ${broker.brokers} in ${(startMs / 1000).toFixed(1)} s`);

  const kafka = new Kafka({ clientId: 'verify', brokers: [broker.brokers], logLevel: logLevel.WARN });
  const admin = kafka.admin();
  // The explicit partitioner silences kafkajs 2's "default partitioner changed" warning; it is
  // the Java-client-compatible murmur2 partitioner, the same one the default would pick.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  // kafkajs's disconnect() waits out the in-flight fetch: with the default maxWaitTimeInMs (5 s)
  // every consumer teardown in a test costs 5 s.
  const consumer = kafka.consumer({ groupId: 'verify-cg', maxWaitTimeInMs: 500 });
  try {
    await admin.connect();
    const created = await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    check(created, 'createTopics reported the topic already existed');

    await producer.connect();
    const sent: { key: string; value: string }[] = [];
    for (let i = 0; i < MESSAGES; i++) sent.push({ key: `key-${i % KEYS}`, value: `${i}` });
    const tProduce = Date.now();
    // One message per send so per-key order is the order of acknowledged writes.
    for (const message of sent) await producer.send({ topic: TOPIC, acks: -1, messages: [message] });
    const produceMs = Date.now() - tProduce;

    const received = new Map<string, number[]>();
    const partitionOfKey = new Map<string, Set<number>>();
    let count = 0;
    let done!: () => void;
    const allReceived = new Promise<void>((resolve) => (done = resolve));
    const tConsume = Date.now();
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString() ?? '';
        const value = Number(message.value?.toString());
        received.set(key, [...(received.get(key) ?? []), value]);
        partitionOfKey.set(key, (partitionOfKey.get(key) ?? new Set<number>()).add(partition));
        if (++count === MESSAGES) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      allReceived,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${count}/${MESSAGES} messages consumed after ${CONSUME_TIMEOUT_MS / 1000} s`)), CONSUME_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    const consumeMs = Date.now() - tConsume;

    check(count === MESSAGES, `consumed ${count} messages, expected ${MESSAGES}`);
    for (const [key, parts] of partitionOfKey) check(parts.size === 1, `${key} landed in partitions ${[...parts]}`);
    const partitionsSeen = new Set([...partitionOfKey.values()].flatMap((parts) => [...parts]));
    for (let k = 0; k < KEYS; k++) {
      const key = `key-${k}`;
      const expected = sent.filter((m) => m.key === key).map((m) => Number(m.value));
      const got = received.get(key) ?? [];
      check(JSON.stringify(got) === JSON.stringify(expected), `order of ${key}: got [${got}] expected [${expected}]`);
    }

    const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    const partitions = metadata.topics.find((t) => t.name === TOPIC)?.partitions ?? [];
    check(partitions.length === PARTITIONS, `metadata shows ${partitions.length} partitions, expected ${PARTITIONS}`);
    check(partitions.every((p) => p.leader === 1), 'every partition should be led by node 1');

    const groups = await admin.describeGroups(['verify-cg']);
    const group = groups.groups[0];

    console.log(`topic ${TOPIC}: ${partitions.length} partitions (metadata), leaders ${[...new Set(partitions.map((p) => p.leader))].join(',')}`);
    console.log(`produced ${MESSAGES} keyed messages (${KEYS} keys, acks=-1) in ${produceMs} ms`);
    console.log(
      `consumer group verify-cg (${group?.state ?? '?'}, protocol ${group?.protocol ?? '?'}): ` +
        `consumed ${count}/${MESSAGES} in ${consumeMs} ms from partitions ${[...partitionsSeen].sort().join(',')}; ` +
        `each key in one partition, per-key order OK for ${KEYS} keys`,
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    const tStop = Date.now();
    await broker.stop();
    console.log(`broker stopped in ${((Date.now() - tStop) / 1000).toFixed(1)} s`);
  }
  console.log(`VERIFY OK: kafkajs 2.2.4 against Apache Kafka ${KAFKA_VERSION} (total ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
