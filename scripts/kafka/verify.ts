/**
 * Proves the bridge's Kafka transport (src/bridges/kafka/platformatic.ts, @platformatic/kafka)
 * works against the pinned broker: topic creation, keyed sends with acks=-1, a consumer group
 * reading everything back in per-key order with each key in one partition, and the connection
 * probe. Exits non-zero on any failure.
 *
 *   npx tsx scripts/kafka/verify.ts
 */
import { createPlatformaticTransport } from '../../src/bridges/kafka/platformatic.js';
import { loadKafkaClient } from '../../src/bridges/kafka/kafkaClient.js';
import type { IncomingMessage } from '../../src/bridges/kafka/transport.js';
import { createLogger } from '../../src/shared/logger.js';
import { KAFKA_VERSION, startBroker } from './broker.js';

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
  console.log(`broker ${KAFKA_VERSION} up at ${broker.brokers} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const transport = createPlatformaticTransport({ client: await loadKafkaClient(), brokers: [broker.brokers], clientId: 'verify', log: createLogger('warn') });
  try {
    const [topic] = await transport.ensureTopics([{ topic: TOPIC, partitions: PARTITIONS }]);
    check(topic?.status === 'created' && topic.partitions === PARTITIONS, `topic check ${JSON.stringify(topic)}`);

    const sent = Array.from({ length: MESSAGES }, (_, i) => ({ key: `key-${i % KEYS}`, value: `${i}` }));
    const tProduce = Date.now();
    // Two sends of half each: order per key must hold within a send and across sends.
    for (const half of [sent.slice(0, MESSAGES / 2), sent.slice(MESSAGES / 2)]) {
      await transport.send(half.map((m) => ({ topic: TOPIC, key: m.key, value: Buffer.from(m.value), headers: { n: m.value } })));
    }
    const produceMs = Date.now() - tProduce;

    const received: IncomingMessage[] = [];
    const tConsume = Date.now();
    const consumption = transport.consume('verify-cg', [TOPIC], async (m) => void received.push(m));
    const deadline = Date.now() + CONSUME_TIMEOUT_MS;
    while (received.length < MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumption.stop();
    const consumeMs = Date.now() - tConsume;

    check(received.length === MESSAGES, `consumed ${received.length} messages, expected ${MESSAGES}`);
    for (let k = 0; k < KEYS; k++) {
      const key = `key-${k}`;
      const mine = received.filter((m) => m.key?.toString() === key);
      const partitions = new Set(mine.map((m) => m.partition));
      check(partitions.size === 1, `${key} landed in partitions ${[...partitions]}`);
      const got = mine.map((m) => Number(m.value?.toString()));
      const expected = sent.filter((m) => m.key === key).map((m) => Number(m.value));
      check(JSON.stringify(got) === JSON.stringify(expected), `order of ${key}: got [${got}] expected [${expected}]`);
      check(mine.every((m) => m.headers.n === m.value?.toString()), `headers of ${key}`);
    }
    check(transport.connected(), 'connected() should be true with the broker up');

    console.log(`produced ${MESSAGES} keyed messages (${KEYS} keys, acks=-1, idempotent) in ${produceMs} ms`);
    console.log(
      `consumer group verify-cg consumed ${received.length}/${MESSAGES} in ${consumeMs} ms from partitions ` +
        `${[...new Set(received.map((m) => m.partition))].sort().join(',')}; each key in one partition, per-key order OK`,
    );
  } finally {
    await transport.close();
    const tStop = Date.now();
    await broker.stop();
    console.log(`broker stopped in ${((Date.now() - tStop) / 1000).toFixed(1)} s`);
  }
  console.log(`VERIFY OK: @platformatic/kafka against Apache Kafka ${KAFKA_VERSION} (total ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
