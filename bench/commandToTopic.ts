import http from 'node:http';
import { mintToken } from '../src/access/tokens.js';
import { createPlatformaticTransport } from '../src/bridges/kafka/platformatic.js';
import { loadKafkaClient } from '../src/bridges/kafka/kafkaClient.js';
import { PUBLISHED_TOPICS } from '../src/bridges/kafka/topics.js';
import { createLogger } from '../src/shared/logger.js';
import { SECRET, send, startService } from './commands.js';

const percentiles = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (q: number) => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))]!.toFixed(1);
};

interface Health {
  readonly projections?: { caughtUp: boolean; rebuilding?: unknown }[];
  readonly workflows?: { caughtUp: boolean }[];
  readonly kafka?: { outbound?: { caughtUp: boolean }; feeds?: { caughtUp: boolean } };
}

/**
 * Until the service has followed the log it found (a bench's log is long): its read models,
 * workflows and the bridge's outbound and feeds. Not timed: otherwise the figure is that of a
 * service catching up on hundreds of thousands of events, each command queued behind them.
 */
async function caughtUp(base: string): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const health = (await fetch(`${base}/health`).then((r) => r.json())) as Health;
    const followed = [...(health.projections ?? []), ...(health.workflows ?? []), health.kafka?.outbound, health.kafka?.feeds];
    if (health.projections && followed.every((s) => s?.caughtUp && !(s as { rebuilding?: unknown }).rebuilding)) return;
    if (Date.now() > deadline) throw new Error('bench: the service did not catch up with the log');
    await new Promise((r) => setTimeout(r, 500));
  }
}

const TOPIC = PUBLISHED_TOPICS.OpportunityStageChangedEvent;
const PACE_MS = 25;

/**
 * Issue 14's "command → topic": the compiled service (npm run build first) with its Kafka bridge
 * on `brokers`, a sales rep's stage changes over HTTP one after another (at most 40 a second), each timed from the
 * request's start until a consumer of the stage-change topic has the deal's message. The service
 * runs its projections and workflows meanwhile, as in production. Figures only.
 */
export async function benchCommandToTopic(o: { readonly url: string; readonly brokers: string; readonly commands: number }): Promise<void> {
  const service = await startService(o.url, 'dist/src/main.js', undefined, [], { KAFKA_BROKERS: o.brokers });
  await caughtUp(service.url);
  const transport = createPlatformaticTransport({ client: await loadKafkaClient(), brokers: [o.brokers], log: createLogger('silent') });
  const agent = new http.Agent({ keepAlive: true });
  const deal = `CT-${Date.now()}`;
  // Created here if the service's bridge has not yet: a consumer of a missing topic fails.
  await transport.ensureTopics([TOPIC]);
  const arrived: number[] = [];
  const seen = new Set<string>();
  const consumption = transport.consume(
    `bench-command-to-topic-${deal}`,
    [TOPIC.topic],
    async (m) => {
      // At least once: a redelivered event is not a new arrival.
      const eventId = m.headers.eventId ?? '';
      if (m.key?.toString() !== deal || seen.has(eventId)) return;
      seen.add(eventId);
      arrived.push(performance.now());
    },
    { fromBeginning: false },
  );
  try {
    await consumption.ready;
    const token = await mintToken(SECRET, { tenantId: 'bench', userId: 'rep-topic', roles: ['sales_rep'] }, { expiresIn: '1h' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await send(agent, new URL('/api/v1/opportunities', service.url), 'POST', headers, JSON.stringify({ id: deal, customer_id: 'C-topic', amount: '1000.00', stage: 'PROSPECTING' }));
    if (created !== 201) throw new Error(`bench: the deal was not created (${created})`);
    const stages = ['QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'PROSPECTING'];
    const latencies: number[] = [];
    const answered: number[] = [];
    /** From the HTTP answer to the topic: the bridge's part, apart from the commit's. */
    const afterAnswer: number[] = [];
    for (let i = 0, last = -Infinity; i < o.commands; i++) {
      // At most 40 a second: one rep's burst above RATE_LIMIT_BURST_PER_SECOND (50) is refused
      // (429), and a fast round trip would get there. Each figure counts from its own start.
      const wait = last + PACE_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const started = (last = performance.now());
      const status = await send(agent, new URL(`/api/v1/opportunities/${deal}/stage`, service.url), 'PUT', headers, JSON.stringify({ stage: stages[i % 4] }));
      if (status !== 200) throw new Error(`bench: stage change ${i} answered ${status}`);
      answered.push(performance.now() - started);
      const deadline = Date.now() + 30_000;
      while (arrived.length <= i) {
        if (Date.now() > deadline) throw new Error(`bench: stage change ${i} never reached the topic`);
        await new Promise((r) => setTimeout(r, 1));
      }
      latencies.push(arrived[i]! - started);
      afterAnswer.push(arrived[i]! - started - answered[i]!);
    }
    const p = percentiles(latencies);
    const http = percentiles(answered);
    const after = percentiles(afterAnswer);
    console.log(
      `kafka command → topic (HTTP stage change → consumed from ${TOPIC.topic}), one at a time: ${o.commands} commands: p50 ${p(50)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms (of which the HTTP answer: p50 ${http(50)} ms, p95 ${http(95)} ms; from the answer on: p50 ${after(50)} ms, p95 ${after(95)} ms); target p95 <= 50 ms`,
    );
  } finally {
    await consumption.stop();
    await transport.close();
    agent.destroy();
    await service.stop();
  }
}
