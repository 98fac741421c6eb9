import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { benchDatabase } from './database.js';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createPostgresEventStore } from '../src/eventstore/postgres/store.js';
import { mintToken } from '../src/access/tokens.js';
import { opportunitiesProjection } from '../src/projections/opportunities.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { createLogger } from '../src/shared/logger.js';

/**
 * npm run bench [-- --appends 20000 --commands 2000 --concurrency 8]
 * Figures printed, nothing asserted: targets (seed 002: opportunity update < 300 ms p95) are
 * read off the output, not enforced by timed unit tests.
 */
const { values } = parseArgs({
  options: {
    appends: { type: 'string', default: '20000' },
    commands: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
  },
});
const APPENDS = Number(values.appends);
const COMMANDS = Number(values.commands);
const CONCURRENCY = Number(values.concurrency);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function inParallel(n: number, total: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let i = next++; i < total; i = next++) await work(i);
    }),
  );
}

const database = await benchDatabase('bench');
const { url, db } = database;

try {
  // 1. Raw appends: CONCURRENCY writers, one event per append, 100 streams.
  const store = createPostgresEventStore({ connection: url });
  let t = performance.now();
  await inParallel(CONCURRENCY, APPENDS, async (i) => {
    await store.append(`bench-t:${i % 100}`, [{ eventId: randomUUID(), eventType: 'BenchEvent', data: { i }, metadata: {} }], 'any');
  });
  let s = (performance.now() - t) / 1000;
  console.log(`event store append: ${APPENDS} single-event appends, ${CONCURRENCY} writers: ${Math.round(APPENDS / s)} appends/s`);

  // 2. Commands through HTTP, as sales reps send them.
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url, LOG_LEVEL: 'silent', JWT_SECRET: 'bench-secret-0123456789abcdef0123456789' });
  const app = await startApp(config, createLogger('silent'));
  const token = await mintToken(config.JWT_SECRET!, { tenantId: 'bench', userId: 'u', roles: ['sales_rep'] });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const opportunities = Math.max(1, Math.floor(COMMANDS / 10));
  await inParallel(CONCURRENCY, opportunities, async (i) => {
    await fetch(`${app.url}/api/v1/opportunities`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ id: `B-${i}`, customer_id: 'C', amount: '1000.00', stage: 'PROSPECTING' }),
    });
  });
  const stages = ['QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'PROSPECTING'];
  const latencies: number[] = [];
  let failures = 0;
  t = performance.now();
  await inParallel(CONCURRENCY, COMMANDS, async (i) => {
    const started = performance.now();
    const res = await fetch(`${app.url}/api/v1/opportunities/B-${i % opportunities}/stage`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ stage: stages[Math.floor(i / opportunities) % stages.length] }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) failures++;
    latencies.push(performance.now() - started);
  });
  s = (performance.now() - t) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `stage change over HTTP: ${COMMANDS} commands on ${opportunities} opportunities, ${CONCURRENCY} clients: ` +
      `${Math.round(COMMANDS / s)} commands/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
      `p95 ${percentile(latencies, 95).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (SLO: p95 < 300 ms), ${failures} non-200`,
  );
  await app.stop();

  // 3. Projection rebuild from position 0 over the opportunity events just written.
  const rebuild = await rebuildProjection({ db, store: createPostgresEventStore({ connection: url }) }, opportunitiesProjection);
  console.log(
    `opportunities rebuild: ${rebuild.done} events in ${(rebuild.elapsedMs / 1000).toFixed(2)} s: ${Math.round(rebuild.eventsPerSecond)} events/s`,
  );
  await store.close();
} finally {
  await database.drop();
}
process.exit(0);
