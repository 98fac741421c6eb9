import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Schema } from 'avsc';
import { expect } from 'chai';
import { type BrokerHandle, startBroker } from '../../../scripts/kafka/broker.js';
import { avroCodec } from '../../../src/bridges/kafka/avro.js';
import { createKafkaBridge, parseBrokers } from '../../../src/bridges/kafka/bridge.js';
import * as kafkaClient from '@platformatic/kafka';
import { createPlatformaticTransport } from '../../../src/bridges/kafka/platformatic.js';
import { postgresLagCounter } from '../../../src/subscriptions/lag.js';
import { OUTBOUND_CHECKPOINT_NAME, createKafkaOutbound, type KafkaOutbound } from '../../../src/bridges/kafka/outbound.js';
import { PUBLISHED_EVENT_TYPES, type TopicConfig, resolveTopics, topicEnvName } from '../../../src/bridges/kafka/topics.js';
import { FEED_TOPICS, type FeedName, feedEnvName } from '../../../src/bridges/kafka/feeds/feedTopics.js';
import { feedGateway } from '../../../src/bridges/kafka/feeds/gateway.js';
import type { KafkaTransport } from '../../../src/bridges/kafka/transport.js';
import { createPostgresEventStore } from '../../../src/eventstore/postgres/store.js';
import type { EventStore, EventToAppend } from '../../../src/eventstore/port.js';
import { streamName } from '../../../src/eventstore/streams.js';
import { type TestDatabase, freshDatabase } from '../../support/postgres.js';
import { toAppend } from './fixtures.js';
import { SEED_SCHEMAS } from './seeds.js';
import { type ReadMessage, freePorts, partitionCounts, rawAdmin, readTopics, testLogger, waitFor } from './support.js';

const log = testLogger();
const codec = avroCodec();

interface Harness {
  database: TestDatabase;
  store: EventStore;
  transport: KafkaTransport;
  outbound: KafkaOutbound;
  stop(): Promise<void>;
}

describe('Kafka bridge: outbound (real broker)', function () {
  this.timeout(60_000);
  let broker: BrokerHandle;
  let dataDir: string;
  let port: number;
  let controllerPort: number;
  const harnesses: Harness[] = [];

  before(async function () {
    this.timeout(120_000);
    // Fixed ports and data dir: the restart test brings the broker back on the same address.
    [port, controllerPort] = (await freePorts(2)) as [number, number];
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kafka-outbound-test-'));
    broker = await startBroker({ port, controllerPort, dataDir });
  });

  after(async function () {
    this.timeout(60_000);
    for (const h of harnesses) await h.stop();
    await broker?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function harness(topics: TopicConfig, batchSize = 500): Promise<Harness> {
    const database = await freshDatabase('kafka_out');
    const store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
    const transport = createPlatformaticTransport({ client: kafkaClient, brokers: [broker.brokers], log });
    const outbound = createKafkaOutbound({
      store,
      db: database.db,
      transport,
      log,
      topics,
      batchSize,
      backoff: { initialMs: 100, maxMs: 2_000 },
      lagCounter: postgresLagCounter(database.db),
    });
    let stopped = false;
    const h: Harness = {
      database,
      store,
      transport,
      outbound,
      async stop() {
        if (stopped) return;
        stopped = true;
        await outbound.stop();
        await transport.close();
        await store.close();
        await database.drop();
      },
    };
    harnesses.push(h);
    return h;
  }

  async function caughtUp(outbound: KafkaOutbound, timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const s = await outbound.status();
        return s.caughtUp && s.lag === 0;
      },
      timeoutMs,
      'the outbound bridge to catch up',
    );
  }

  it('publishes the seed 000 scenario as Avro on the documented topics, keyed by aggregate, with headers', async () => {
    const h = await harness(resolveTopics());
    const stream = streamName({ category: 'opportunity', tenantId: 'tenant-001', aggregateId: 'OPP-100' });
    const events: EventToAppend[] = [
      toAppend(
        'OpportunityCreatedEvent',
        {
          opportunityId: 'OPP-100',
          customerId: 'CUST-100',
          amount: '120000.00',
          currency: 'USD',
          stage: 'QUALIFICATION',
          name: 'Acme',
          leadId: null,
          ownerId: 'user-1',
          probability: 10,
          expectedCloseDate: null,
          products: [],
          metadata: {},
        },
        { aggregateId: 'OPP-100', timestamp: new Date('2026-02-02T11:10:00Z') },
      ),
      toAppend(
        'OpportunityStageChangedEvent',
        { opportunityId: 'OPP-100', fromStage: 'QUALIFICATION', toStage: 'NEGOTIATION', probability: 60, nextStep: null, notes: null },
        { aggregateId: 'OPP-100', timestamp: new Date('2026-02-02T11:20:00Z') },
      ),
      toAppend(
        'OpportunityUpdatedEvent', // no documented topic: must stay in the log only
        { opportunityId: 'OPP-100', changedFields: ['nextStep'], nextStep: 'call' },
        { aggregateId: 'OPP-100' },
      ),
      toAppend(
        'OpportunityClosedWonEvent',
        {
          opportunityId: 'OPP-100',
          customerId: 'CUST-100',
          amount: '120000.00',
          currency: 'USD',
          closeDate: '2026-02-02',
          fromStage: 'NEGOTIATION',
          toStage: 'CLOSED_WON',
        },
        { aggregateId: 'OPP-100', timestamp: new Date('2026-02-02T12:00:00Z') },
      ),
    ];
    await h.store.append(stream, events, 'no_stream');
    h.outbound.start();
    await caughtUp(h.outbound, 30_000);

    const topics = ['crm.pipeline.opportunity.created', 'crm.pipeline.opportunity.stage.changed', 'crm.pipeline.opportunity.closed.won'];
    // At-least-once: a retried send may repeat a message; consumers dedupe by the eventId header.
    const distinct = (ms: readonly ReadMessage[]) => new Set(ms.map((m) => m.headers.eventId)).size;
    const messages = await readTopics(broker.brokers, topics, (m) => distinct(m) >= 3);
    expect(distinct(messages)).to.equal(3);
    const byTopic = new Map(messages.map((m) => [m.topic, m]));
    const published = [events[0]!, events[1]!, events[3]!];
    topics.forEach((topic, i) => {
      const m = byTopic.get(topic)!;
      const e = published[i]!;
      expect(m.key, topic).to.equal('OPP-100');
      expect(m.headers).to.include({
        eventType: e.eventType,
        eventId: e.eventId,
        tenantId: 'tenant-001',
        correlationId: e.metadata.correlationId,
        'content-type': 'avro/binary',
        schema: `com.erp.crm.pipeline.events.${e.eventType}`,
      });
    });

    // Read as a consumer holding only the seed's own schema would.
    const seedReader = JSON.parse(SEED_SCHEMAS[0]!) as Schema;
    const created = codec.decode('OpportunityCreatedEvent', byTopic.get(topics[0]!)!.value!, seedReader);
    expect(created).to.deep.equal({
      eventId: events[0]!.eventId,
      timestamp: Date.parse('2026-02-02T11:10:00Z'),
      tenantId: 'tenant-001',
      opportunityId: 'OPP-100',
      customerId: 'CUST-100',
      amount: '120000.00',
      currency: 'USD',
      stage: 'QUALIFICATION',
    });
    const won = codec.decode('OpportunityClosedWonEvent', byTopic.get(topics[2]!)!.value!);
    expect(won.amount).to.equal('120000.00');
    expect(won.closeDate).to.equal('2026-02-02');

    // The stored checkpoint moved past everything, and status reports no lag.
    const row = (await h.database.db('projection_checkpoints').where({ name: OUTBOUND_CHECKPOINT_NAME }).first()) as {
      position_commit: string;
    };
    expect(BigInt(row.position_commit) > 0n).to.equal(true);
    const status = await h.outbound.status();
    expect(status).to.include({ connected: true, lag: 0, lagExact: true, published: 3, lastError: null });
  });

  it('has created every documented topic with its documented partition count', async () => {
    const documented = PUBLISHED_EVENT_TYPES.map((t) => resolveTopics().published[t]);
    const partitions = await partitionCounts(broker.brokers, documented.map((d) => d.topic));
    for (const d of documented) expect(partitions.get(d.topic), d.topic).to.equal(d.partitions);
  });

  it('reports, and does not change, an existing topic whose partition count differs', async () => {
    const admin = rawAdmin(broker.brokers);
    try {
      await admin.createTopics({ topics: ['preexisting.closed.lost'], partitions: 1 });
      const topics = resolveTopics({ [topicEnvName('OpportunityClosedLostEvent')]: 'preexisting.closed.lost' });
      const h = await harness(topics);
      h.outbound.start();
      await waitFor(async () => (await h.outbound.status()).topics.length > 0, 30_000, 'topic checks');
      const { topics: checks } = await h.outbound.status();
      expect(checks).to.deep.include({ topic: 'preexisting.closed.lost', status: 'partition-mismatch', expected: 3, actual: 1 });
      expect(checks.filter((c) => c.status === 'partition-mismatch')).to.have.length(1);
      expect((await partitionCounts(broker.brokers, ['preexisting.closed.lost'])).get('preexisting.closed.lost')).to.equal(1);
      await h.stop();
    } finally {
      await admin.close();
    }
  });

  it('keeps retrying, without crashing, while no broker answers, and counts the events waiting', async function () {
    this.timeout(40_000);
    const [deadPort] = await freePorts(1);
    const database = await freshDatabase('kafka_out');
    const store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
    const transport = createPlatformaticTransport({ client: kafkaClient, brokers: [`127.0.0.1:${deadPort}`], log });
    // The default lag counter: through the store port, no SQL of its own.
    const outbound = createKafkaOutbound({ store, db: database.db, transport, log, backoff: { initialMs: 100, maxMs: 1_000 } });
    try {
      const payload = { opportunityId: 'OPP-9', fromStage: 'A', toStage: 'B' };
      await store.append(
        streamName({ category: 'opportunity', tenantId: 'tenant-001', aggregateId: 'OPP-9' }),
        [
          toAppend('OpportunityStageChangedEvent', payload, { aggregateId: 'OPP-9' }),
          toAppend('OpportunityUpdatedEvent', { opportunityId: 'OPP-9', changedFields: [] }, { aggregateId: 'OPP-9' }),
          toAppend('OpportunityStageChangedEvent', payload, { aggregateId: 'OPP-9' }),
        ],
        'no_stream',
      );
      outbound.start();
      await waitFor(async () => (await outbound.status()).lastError !== null, 30_000, 'a reported failure');
      const s = await outbound.status();
      expect(s).to.include({ running: true, connected: false, lag: 2, lagExact: true, published: 0 });
      await outbound.stop();
      expect((await outbound.status()).running).to.equal(false);
    } finally {
      await outbound.stop();
      await transport.close();
      await store.close();
      await database.drop();
    }
  });

  it('runs both halves from createKafkaBridge and stops cleanly', async () => {
    const database = await freshDatabase('kafka_bridge');
    const store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
    const bridge = createKafkaBridge({
      client: kafkaClient,
      brokers: parseBrokers(` ${broker.brokers} ,`),
      topics: resolveTopics({ KAFKA_TOPIC_OPPORTUNITY_STAGE_CHANGED: 'bridge.stage.changed' }),
      store,
      db: database.db,
      log,
      lagCounter: postgresLagCounter(database.db),
    });
    try {
      const e = toAppend('OpportunityStageChangedEvent', { opportunityId: 'OPP-B', fromStage: 'A', toStage: 'B' }, { aggregateId: 'OPP-B' });
      await store.append(streamName({ category: 'opportunity', tenantId: 'tenant-001', aggregateId: 'OPP-B' }), [e], 'no_stream');
      bridge.start();
      await waitFor(async () => (await bridge.status()).outbound.published === 1, 30_000, 'the publish');
      const [m] = await readTopics(broker.brokers, ['bridge.stage.changed'], (ms) => ms.length > 0);
      expect(m!.headers.eventId).to.equal(e.eventId);
      await waitFor(async () => (await bridge.status()).inbound.consuming, 30_000, 'the inbound consumer');
      const { outbound, inbound } = await bridge.status();
      expect(outbound).to.include({ lag: 0, connected: true });
      // No quote handler wired: every consumed topic but the quote one.
      expect(inbound.topics).to.have.members([
        'crm.customer360.profile.updated',
        'finance.ar.credit.limit.exceeded',
        'finance.ar.credit.limit.restored',
        'sales.lead.created',
        'serviceorders.order.created',
        'contracts.contract.activated',
      ]);
    } finally {
      await bridge.stop();
      await store.close();
      await database.drop();
    }
  });

  it('reports connected false within 5 s of the broker stopping (outbound and inbound), and true once it is back', async function () {
    this.timeout(120_000);
    const database = await freshDatabase('kafka_conn');
    const store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
    const bridge = createKafkaBridge({ client: kafkaClient, brokers: [broker.brokers], store, db: database.db, log, lagCounter: postgresLagCounter(database.db) });
    const connected = async () => {
      const { outbound, inbound } = await bridge.status();
      return { outbound: outbound.connected, inbound: inbound.connected };
    };
    try {
      bridge.start();
      await waitFor(async () => (await bridge.status()).inbound.consuming, 30_000, 'the inbound consumer');
      expect(await connected()).to.deep.equal({ outbound: true, inbound: true });

      await broker.stop();
      const stoppedAt = Date.now();
      await waitFor(async () => {
        const c = await connected();
        return !c.outbound && !c.inbound;
      }, 5_000, 'connected false after the broker stopped');
      expect(Date.now() - stoppedAt).to.be.below(5_000);

      broker = await startBroker({ port, controllerPort, dataDir });
      await waitFor(async () => {
        const c = await connected();
        return c.outbound && c.inbound;
      }, 5_000, 'connected true after the broker restarted');
    } finally {
      await bridge.stop();
      await store.close();
      await database.drop();
    }
  });

  it('delivers every one of 5,000 events at least once, in order per key, across a broker stop and restart (Avro topics and JSON feeds)', async function () {
    this.timeout(180_000);
    const started = Date.now();
    // Its own topic names keep this run apart from the tests above.
    const overrides: Record<string, string> = {};
    for (const t of PUBLISHED_EVENT_TYPES) overrides[topicEnvName(t)] = `restart.${resolveTopics().published[t].topic}`;
    for (const f of Object.keys(FEED_TOPICS) as FeedName[]) overrides[feedEnvName(f)] = `restart.${FEED_TOPICS[f].topic}`;
    const topics = resolveTopics(overrides);
    const h = await harness(topics, 100);
    // Seed 004's JSON feeds on the same transport, through the same outage (from the log's start).
    const { firstPosition: _atHead, ...fromStart } = feedGateway(h.store, topics.feeds);
    const feeds = createKafkaOutbound({ store: h.store, db: h.database.db, transport: h.transport, log, gateway: fromStart, batchSize: 100, backoff: { initialMs: 100, maxMs: 2_000 } });

    const AGGREGATES = 50;
    const PER_AGGREGATE = 100; // 1 created + 99 stage changes
    const ROUNDS = 10;
    const revisionOf = new Map<string, { key: string; revision: number }>();
    const stages = ['QUALIFICATION', 'DISCOVERY', 'PROPOSAL', 'NEGOTIATION'];
    async function appendRound(round: number): Promise<void> {
      const per = PER_AGGREGATE / ROUNDS;
      await Promise.all(
        Array.from({ length: AGGREGATES }, async (_, a) => {
          const aggregateId = `OPP-R${a}`;
          const batch: EventToAppend[] = [];
          for (let i = 0; i < per; i++) {
            const revision = round * per + i;
            const e =
              revision === 0
                ? toAppend(
                    'OpportunityCreatedEvent',
                    { opportunityId: aggregateId, customerId: 'CUST-1', amount: '0.01', currency: 'USD', stage: stages[0] },
                    { aggregateId },
                  )
                : toAppend(
                    'OpportunityStageChangedEvent',
                    {
                      opportunityId: aggregateId,
                      fromStage: stages[(revision - 1) % 4],
                      toStage: stages[revision % 4],
                      probability: revision % 100,
                    },
                    { aggregateId },
                  );
            revisionOf.set(e.eventId, { key: aggregateId, revision });
            batch.push(e);
          }
          const stream = streamName({ category: 'opportunity', tenantId: 'tenant-001', aggregateId });
          await h.store.append(stream, batch, round === 0 ? 'no_stream' : BigInt(round * per - 1));
        }),
      );
    }

    h.outbound.start();
    feeds.start();
    for (let r = 0; r < ROUNDS / 2; r++) await appendRound(r);
    await waitFor(async () => (await h.outbound.status()).published >= 1_000, 30_000, 'the first 1,000 publishes');
    // Stop the broker while events keep arriving: some sends fail mid-way, the rest wait.
    const stopping = broker.stop();
    for (let r = ROUNDS / 2; r < ROUNDS; r++) {
      await appendRound(r);
      await new Promise((res) => setTimeout(res, 200));
    }
    await stopping;
    await waitFor(async () => !(await h.outbound.status()).connected, 30_000, 'the bridge to notice the broker is gone');
    // The connection probe notices first; a send gives up after its own retries.
    await waitFor(async () => (await h.outbound.status()).lastError !== null, 60_000, 'a failed send');
    const down = await h.outbound.status();
    expect(down.lastError).to.be.a('string');
    expect(down.lag, 'lag while the broker is down').to.be.greaterThan(0);
    broker = await startBroker({ port, controllerPort, dataDir });
    const restartedAt = Date.now();
    await caughtUp(h.outbound, 90_000);
    const recoveredMs = Date.now() - restartedAt;
    await caughtUp(feeds, 90_000);
    await feeds.stop();

    const total = AGGREGATES * PER_AGGREGATE;
    /** Every event delivered, each key on one partition, first deliveries in revision order. */
    async function expectAllInOrder(topicNames: string[], idOf: (m: ReadMessage) => string): Promise<readonly ReadMessage[]> {
      const seen = new Set<string>();
      let scanned = 0;
      const messages = await readTopics(
        broker.brokers,
        topicNames,
        (ms: readonly ReadMessage[]) => {
          for (; scanned < ms.length; scanned++) seen.add(idOf(ms[scanned]!));
          return seen.size >= total;
        },
        60_000,
      );
      const ids = new Set(messages.map(idOf));
      expect(ids.size, 'distinct event ids delivered').to.equal(total);
      for (const id of revisionOf.keys()) expect(ids.has(id), id).to.equal(true);
      const firstSeen = new Set<string>();
      const last = new Map<string, number>();
      const partitions = new Map<string, number>();
      const inLogOrder = [...messages].sort(
        (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
      );
      for (const m of inLogOrder) {
        const id = idOf(m);
        const { key, revision } = revisionOf.get(id)!;
        expect(m.key).to.equal(key);
        const tk = `${m.topic}/${key}`;
        if (partitions.has(tk)) expect(m.partition, tk).to.equal(partitions.get(tk));
        partitions.set(tk, m.partition);
        if (firstSeen.has(id)) continue;
        firstSeen.add(id);
        expect(revision, `${tk} order`).to.be.greaterThan(last.get(tk) ?? -1);
        last.set(tk, revision);
      }
      return messages;
    }
    const messages = await expectAllInOrder(
      [topics.published.OpportunityCreatedEvent.topic, topics.published.OpportunityStageChangedEvent.topic],
      (m) => m.headers.eventId!,
    );
    await expectAllInOrder([topics.feeds.SALES_OPPORTUNITIES.topic], (m) => m.headers.sourceEventId!);
    console.log(
      `      5,000 events: ${messages.length - total} duplicates, lag while down ${down.lag}, ` +
        `caught up ${(recoveredMs / 1000).toFixed(1)} s after the restart, ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
    );
  });
});
