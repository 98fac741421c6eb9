import { expect } from 'chai';
import type { BrokerHandle } from '../../../scripts/kafka/broker.js';
import * as kafkaClient from '@platformatic/kafka';
import { createPlatformaticTransport } from '../../../src/bridges/kafka/platformatic.js';
import type { IncomingMessage, KafkaTransport } from '../../../src/bridges/kafka/transport.js';
import { produce, readTopics, testBroker, testLogger, waitFor } from './support.js';

/** The transport's own contract (transport.ts), which the bridge's logic relies on. */
describe('Kafka transport: @platformatic/kafka (real broker)', function () {
  this.timeout(60_000);
  const log = testLogger();
  const run = Date.now().toString(36); // fresh topic and group names on a shared broker
  let broker: BrokerHandle;
  let transport: KafkaTransport;

  before(async function () {
    this.timeout(120_000);
    broker = await testBroker();
    transport = createPlatformaticTransport({ client: kafkaClient, brokers: [broker.brokers], log });
  });

  after(async function () {
    this.timeout(60_000);
    await transport?.close();
    await broker?.stop();
  });

  it('creates missing topics, reports existing ones as they are, and names a partition mismatch', async () => {
    const spec = { topic: `contract.topics.${run}`, partitions: 3 };
    expect(await transport.ensureTopics([spec])).to.deep.equal([{ ...spec, status: 'created' }]);
    expect(await transport.ensureTopics([spec])).to.deep.equal([{ ...spec, status: 'ok' }]);
    expect(await transport.ensureTopics([{ ...spec, partitions: 6 }])).to.deep.equal([
      { topic: spec.topic, status: 'partition-mismatch', expected: 6, actual: 3 },
    ]);
  });

  it('writes the messages of one key in array order, within a send and across sends, in one partition', async () => {
    const topic = `contract.order.${run}`;
    await transport.ensureTopics([{ topic, partitions: 6 }]);
    const keys = Array.from({ length: 20 }, (_, k) => `key-${k}`);
    for (let send = 0; send < 3; send++) {
      await transport.send(
        Array.from({ length: 200 }, (_, i) => ({ topic, key: keys[i % keys.length]!, value: Buffer.from(`${send * 200 + i}`), headers: { send: `${send}` } })),
      );
    }
    const read = await readTopics(broker.brokers, [topic], (m) => m.length >= 600);
    expect(read).to.have.length(600);
    for (const key of keys) {
      const mine = read.filter((m) => m.key === key).sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
      expect(new Set(mine.map((m) => m.partition)).size, key).to.equal(1);
      const values = mine.map((m) => Number(m.value!.toString()));
      expect(values, key).to.deep.equal([...values].sort((a, b) => a - b));
      expect(values, key).to.have.length(30);
    }
  });

  it("puts a key in the partition the Java client gives it (murmur2 & 0x7fffffff), on a key's first send and on later ones", async () => {
    const topic = `contract.partition.${run}`;
    await transport.ensureTopics([{ topic, partitions: 6 }]);
    // Kafka's own murmur2 test vectors (Utils.murmur2, UtilsTest in the Java client).
    const java: Record<string, number> = {
      '21': -973932308,
      foobar: -790332482,
      'a-little-bit-long-string': -985981536,
      'a-little-bit-longer-string': -1486304829,
      lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
      abc: 479470107,
    };
    const keys = Object.keys(java);
    for (let send = 0; send < 2; send++) {
      await transport.send(keys.map((key) => ({ topic, key, value: Buffer.from(`${send}`), headers: {} })));
    }
    const read = await readTopics(broker.brokers, [topic], (m) => m.length >= keys.length * 2);
    expect(read).to.have.length(keys.length * 2);
    for (const m of read) expect(m.partition, m.key ?? '').to.equal((java[m.key!]! & 0x7fffffff) % 6);
  });

  it('delivers a message again when its handler rejects, before the next one of its partition', async () => {
    const topic = `contract.redeliver.${run}`;
    await transport.ensureTopics([{ topic, partitions: 1 }]);
    await produce(broker.brokers, topic, ['a', 'b', 'c'].map((v) => ({ key: 'k', value: Buffer.from(v) })));
    const seen: string[] = [];
    const errors: string[] = [];
    let failed = false;
    const consumption = transport.consume(
      `contract-redeliver-${run}`,
      [topic],
      async (m: IncomingMessage) => {
        const v = m.value!.toString();
        seen.push(v);
        if (v === 'b' && !failed) {
          failed = true;
          throw new Error('database down');
        }
      },
      { onError: (err) => errors.push(err.message) },
    );
    try {
      await consumption.ready;
      await waitFor(() => seen.includes('c'), 30_000, 'message c');
      expect(seen).to.deep.equal(['a', 'b', 'b', 'c']);
      expect(errors).to.include('database down');
    } finally {
      await consumption.stop();
    }
  });

  it('commits an offset only after its handler resolves: after stop(), the group resumes at the message that failed', async () => {
    const topic = `contract.commit.${run}`;
    const group = `contract-commit-${run}`;
    await transport.ensureTopics([{ topic, partitions: 1 }]);
    await produce(broker.brokers, topic, ['m1', 'm2', 'm3'].map((v) => ({ key: 'k', value: Buffer.from(v) })));

    let started!: () => void;
    const m2Started = new Promise<void>((resolve) => (started = resolve));
    let fail!: (err: Error) => void;
    const first = transport.consume(group, [topic], async (m) => {
      if (m.value!.toString() !== 'm2') return;
      started();
      // In flight when stop() is called, then fails: its offset must not be committed.
      await new Promise<void>((_, reject) => (fail = reject));
    });
    await m2Started;
    const stopping = first.stop();
    fail(new Error('stopped mid-way'));
    await stopping;

    const again: string[] = [];
    const second = transport.consume(group, [topic], async (m) => void again.push(m.value!.toString()));
    try {
      await waitFor(() => again.includes('m3'), 30_000, 'the second consumer to reach m3');
      expect(again).to.deep.equal(['m2', 'm3']);
    } finally {
      await second.stop();
    }
  });

  it('reports connected() true while a broker answers', () => {
    expect(transport.connected()).to.equal(true);
  });
});
