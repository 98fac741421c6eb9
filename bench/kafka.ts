import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startBroker } from '../scripts/kafka/broker.js';
import { newEventId } from '../src/eventstore/eventId.js';
import { createPlatformaticTransport } from '../src/bridges/kafka/platformatic.js';
import { loadKafkaClient } from '../src/bridges/kafka/kafkaClient.js';
import { postgresLagCounter } from '../src/subscriptions/lag.js';
import { type KafkaOutbound, createKafkaOutbound } from '../src/bridges/kafka/outbound.js';
import type { KafkaTransport } from '../src/bridges/kafka/transport.js';
import { SCHEMA_VERSION, toEventToAppend } from '../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../src/eventstore/postgres/store.js';
import type { EventToAppend } from '../src/eventstore/port.js';
import { streamName } from '../src/eventstore/streams.js';
import { createLogger } from '../src/shared/logger.js';
import { type Db, createDb } from '../src/db/knex.js';
import { benchCommandToTopic } from './commandToTopic.js';
import { benchDatabase } from './database.js';
import { phaseCpu } from './phaseCpu.js';

/**
 * Kafka outbound publish throughput against a real broker (scripts/kafka/broker.ts):
 * 1. backlog: `backlog` stage changes already in the log, then the bridge starts; events/s
 *    until every one is acknowledged by Kafka (acks=-1);
 * 2. latency: with the bridge caught up, single appends one after another; time from the
 *    append to Kafka's ack of that event (what a command waits before its event is on the topic).
 * Figures printed, nothing asserted.
 */
export interface KafkaBenchOptions {
  readonly url: string;
  readonly db: Db;
  readonly backlog: number;
  readonly singles: number;
  /** The outbound's events per read and per send; its default when absent. */
  readonly batchSize?: number;
  /** Stage changes timed HTTP → consumed from the topic, through the compiled service (built first); none when absent. */
  readonly commandToTopic?: number;
  /** The embedded server's data directory: its CPU per event is printed too. */
  readonly pgDataDir?: string;
  /** A CPU profile of this process over the backlog phase, written here. */
  readonly cpuProfile?: string;
}

const STAGES = ['QUALIFICATION', 'DISCOVERY', 'PROPOSAL', 'NEGOTIATION'];

function stageChange(aggregateId: string, i: number): EventToAppend {
  return toEventToAppend(
    {
      type: 'OpportunityStageChangedEvent',
      data: { opportunityId: aggregateId, fromStage: STAGES[i % 4], toStage: STAGES[(i + 1) % 4], probability: i % 100, nextStep: null, notes: null },
    },
    {
      eventId: newEventId(), // as the command handler names them
      timestamp: new Date(),
      aggregateId,
      tenantId: 'bench',
      metadata: { correlationId: randomUUID(), causationId: null, userId: 'bench', schemaVersion: SCHEMA_VERSION },
    },
  );
}

/** The transport with the time each event id was acknowledged, read off the eventId header. */
function timed(inner: KafkaTransport, acked: Map<string, number>): KafkaTransport {
  return {
    ...inner,
    async send(messages) {
      await inner.send(messages);
      const now = performance.now();
      for (const m of messages) if (m.headers.eventId) acked.set(m.headers.eventId, now);
    },
  };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function benchKafkaPublish(opts: KafkaBenchOptions): Promise<void> {
  const broker = await startBroker();
  const log = createLogger('silent');
  // The service's own settings (app.ts): how live subscriptions wake up is part of the latency.
  const store = createPostgresEventStore({ connection: opts.url });
  const acked = new Map<string, number>();
  const transport = createPlatformaticTransport({ client: await loadKafkaClient(), brokers: [broker.brokers], log });
  const outbound = () =>
    createKafkaOutbound({
      store,
      db: opts.db,
      transport: timed(transport, acked),
      log,
      lagCounter: postgresLagCounter(opts.db),
      ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    });
  let running: KafkaOutbound | undefined;
  try {
    // 0. Warm-up: a freshly started broker (a JVM) is several times slower for its first seconds.
    const warm = randomUUID().slice(0, 6);
    const warmStream = streamName({ category: 'opportunity', tenantId: 'bench', aggregateId: `KW${warm}` });
    const warmEvents = Array.from({ length: 2000 }, (_, i) => stageChange(`KW${warm}`, i));
    for (let i = 0; i < warmEvents.length; i += 100) await store.append(warmStream, warmEvents.slice(i, i + 100), 'any');
    running = outbound();
    running.start();
    await until(() => warmEvents.every((e) => acked.has(e.eventId)), 120_000, 'the warm-up');
    await running.stop();
    acked.clear();

    // 1. Backlog: 100 opportunities, appended 100 events at a time (a run of its own: a tag).
    const aggregates = 100;
    const run = randomUUID().slice(0, 6);
    const per = Math.ceil(opts.backlog / aggregates);
    for (let a = 0; a < aggregates; a++) {
      const id = `KB${run}-${a}`;
      const stream = streamName({ category: 'opportunity', tenantId: 'bench', aggregateId: id });
      for (let i = 0; i < per; i += 100) {
        const batch = Array.from({ length: Math.min(100, per - i) }, (_, k) => stageChange(id, i + k));
        await store.append(stream, batch, 'any');
      }
    }
    const total = per * aggregates;
    const cpu = await phaseCpu(opts.pgDataDir, opts.cpuProfile);
    const t0 = performance.now();
    running = outbound(); // from the warm-up's checkpoint
    running.start();
    await until(() => acked.size >= total, 300_000, 'the backlog');
    const s = (performance.now() - t0) / 1000;
    console.log(`kafka outbound backlog: ${total} events in ${s.toFixed(2)} s: ${Math.round(total / s)} events/s (batches of ${opts.batchSize ?? 'the default'}, acks=-1); ${await cpu(total)}`);

    // 2. One event at a time once caught up: append → acknowledged by Kafka.
    const single = `KB${run}-single`;
    const stream = streamName({ category: 'opportunity', tenantId: 'bench', aggregateId: single });
    const latencies: number[] = [];
    for (let i = 0; i < opts.singles; i++) {
      const e = stageChange(single, i);
      const started = performance.now();
      await store.append(stream, [e], 'any');
      await until(() => acked.has(e.eventId), 30_000, `event ${i}`);
      latencies.push(acked.get(e.eventId)! - started);
    }
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor((q / 100) * latencies.length))]!.toFixed(1);
    console.log(`kafka outbound latency, append → Kafka ack, one at a time: ${opts.singles} events: p50 ${p(50)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms`);

    // 3. Through the whole service: an HTTP command until its event is consumed from the topic
    // (the service's own outbound publishes it: this one stops).
    await running.stop();
    running = undefined;
    if (opts.commandToTopic) await benchCommandToTopic({ url: opts.url, brokers: broker.brokers, commands: opts.commandToTopic });
  } finally {
    await running?.stop();
    await transport.close();
    await store.close();
    await broker.stop();
  }
}

// npm run bench:kafka [-- backlog singles] [--url postgres://... of a migrated database] [--commands N: command → topic
// through the compiled service; npm run build first] [--cpu-prof FILE: the backlog phase's profile]: this part alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({ options: { url: { type: 'string' }, batch: { type: 'string' }, commands: { type: 'string' }, 'cpu-prof': { type: 'string' } }, allowPositionals: true });
  const database = values.url ? { url: values.url, db: createDb(values.url), drop: async () => undefined } : await benchDatabase('bench_kafka');
  try {
    await benchKafkaPublish({
      url: database.url,
      db: database.db,
      backlog: Number(positionals[0] ?? 20_000),
      singles: Number(positionals[1] ?? 200),
      ...(values.batch ? { batchSize: Number(values.batch) } : {}),
      ...(values.commands ? { commandToTopic: Number(values.commands) } : {}),
      ...(values.url ? {} : { pgDataDir: '.data/bench-pg' }),
      ...(values['cpu-prof'] ? { cpuProfile: values['cpu-prof'] } : {}),
    });
  } finally {
    if (values.url) await database.db.destroy();
    await database.drop();
  }
  process.exit(0);
}
