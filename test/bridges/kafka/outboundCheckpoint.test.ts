import { expect } from 'chai';
import { OUTBOUND_CHECKPOINT_NAME, createKafkaOutbound } from '../../../src/bridges/kafka/outbound.js';
import { resolveTopics } from '../../../src/bridges/kafka/topics.js';
import type { KafkaTransport, OutgoingMessage } from '../../../src/bridges/kafka/transport.js';
import { createPostgresEventStore } from '../../../src/eventstore/postgres/store.js';
import { type EventStore, type Position, comparePositions } from '../../../src/eventstore/port.js';
import { streamName } from '../../../src/eventstore/streams.js';
import { type TestDatabase, freshDatabase } from '../../support/postgres.js';
import { toAppend } from './fixtures.js';
import { testLogger, waitFor } from './support.js';

/**
 * The outbound writes batch N's checkpoint while it sends batch N+1 (outbound.ts). What must
 * hold whatever the timing: a stored checkpoint never covers an event Kafka has not
 * acknowledged, writes stay conditional (a moved checkpoint makes the bridge resend from the
 * stored one), and stop() leaves the last acknowledged batch's checkpoint stored.
 * A recording transport stands in for Kafka; the checkpoints are real PostgreSQL rows.
 */
const log = testLogger();

interface Send {
  readonly eventIds: readonly string[];
  /** The stored checkpoint while this batch was being sent, before its ack. */
  readonly storedDuring: Position;
}

function recordingTransport(during: (messages: readonly OutgoingMessage[]) => Promise<Position>, sends: Send[]): KafkaTransport {
  return {
    ensureTopics: async (specs) => specs.map((s) => ({ topic: s.topic, status: 'ok', partitions: s.partitions })),
    async send(messages) {
      const storedDuring = await during(messages);
      sends.push({ eventIds: messages.map((m) => m.headers.eventId!), storedDuring });
    },
    consume: () => {
      throw new Error('not used');
    },
    connected: () => true,
    close: async () => undefined,
  };
}

describe('Kafka bridge: outbound checkpoints while the next batch is sent', function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let store: EventStore;

  beforeEach(async () => {
    database = await freshDatabase('kafka_ckpt');
    store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  async function storedCheckpoint(): Promise<Position> {
    const row = (await database.db('projection_checkpoints').where({ name: OUTBOUND_CHECKPOINT_NAME }).first()) as
      | { position_commit: string; position_prepare: string }
      | undefined;
    return row ? { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) } : { commit: 0n, prepare: 0n };
  }

  async function appendEvents(n: number): Promise<Map<string, Position>> {
    const stream = streamName({ category: 'opportunity', tenantId: 'tenant-001', aggregateId: 'OPP-1' });
    const payload = { opportunityId: 'OPP-1', fromStage: 'A', toStage: 'B' };
    for (let i = 0; i < n; i++) await store.append(stream, [toAppend('OpportunityStageChangedEvent', payload, { aggregateId: 'OPP-1' })], 'any');
    const events = await store.readStream(stream);
    return new Map(events.map((e) => [e.eventId, e.position]));
  }

  it('never stores a checkpoint past an unacknowledged event, and stop() stores the last batch', async () => {
    const positions = await appendEvents(9);
    const sends: Send[] = [];
    const transport = recordingTransport(() => storedCheckpoint(), sends);
    const outbound = createKafkaOutbound({ store, db: database.db, transport, log, topics: resolveTopics(), batchSize: 2 });
    outbound.start();
    await waitFor(() => sends.flatMap((s) => s.eventIds).length >= 9, 20_000, 'every event sent');
    await outbound.stop();
    expect(sends.flatMap((s) => s.eventIds)).to.deep.equal([...positions.keys()]);
    for (const s of sends) {
      const first = positions.get(s.eventIds[0]!)!;
      expect(comparePositions(s.storedDuring, first), 'stored checkpoint below the batch being sent').to.equal(-1);
    }
    const last = [...positions.values()].at(-1)!;
    expect(comparePositions(await storedCheckpoint(), last)).to.be.at.least(0);
  });

  it('a checkpoint moved by another writer fails the next batch: the bridge resends from the stored one', async () => {
    const positions = await appendEvents(6);
    const ids = [...positions.keys()];
    const sends: Send[] = [];
    let moved = false;
    const transport = recordingTransport(async (messages) => {
      // While the first batch is sent, another writer moves the checkpoint back to the start of
      // the log: the first batch's own write then finds it moved.
      if (!moved && messages[0]!.headers.eventId === ids[0]) {
        moved = true;
        await database.db('projection_checkpoints').where({ name: OUTBOUND_CHECKPOINT_NAME }).update({ position_commit: '0', position_prepare: '1' });
      }
      return storedCheckpoint();
    }, sends);
    const outbound = createKafkaOutbound({ store, db: database.db, transport, log, topics: resolveTopics(), batchSize: 2, backoff: { initialMs: 50, maxMs: 200 } });
    outbound.start();
    await waitFor(async () => comparePositions(await storedCheckpoint(), [...positions.values()].at(-1)!) >= 0, 20_000, 'the checkpoint at the head');
    await outbound.stop();
    const sent = sends.flatMap((s) => s.eventIds);
    expect(new Set(sent)).to.deep.equal(new Set(ids), 'every event sent at least once');
    expect(sent.length, 'the batches after the moved checkpoint sent again').to.be.greaterThan(ids.length);
    // In order per key each time the bridge (re)started: every resend begins at the first event.
    expect(sent.slice(sent.lastIndexOf(ids[0]!))).to.deep.equal(ids);
  });
});
