import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { benchFloor } from './floor.js';
import { benchCommands } from './commands.js';
import { benchDatabase } from './database.js';
import { benchKafkaPublish } from './kafka.js';
import { benchRebuilds } from './rebuild.js';
import { benchW1 } from './w1.js';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { mintToken } from '../src/access/tokens.js';
import { createLogger } from '../src/shared/logger.js';

/**
 * npm run bench [-- --commands 2000 --concurrency 8 --rebuild-events 100000 --kafka-backlog 20000 --kafka-singles 200 --kafka-commands 200]
 *   W2 (bench/commands.ts, then its floor: bench/floor.ts): [--only w2] [--clients 16 --rate 500 --seconds 20 --soak-seconds 0 --users 100 --opportunities 1000 --cpu-prof DIR --statements --workflows --service path/to/main.js --node-flags='--max-old-space-size=1024 --max-semi-space-size=16']
 * Figures printed, nothing asserted: targets (seed 002: opportunity update < 300 ms p95) are
 * read off the output, not enforced by timed unit tests.
 */
const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    'kafka-backlog': { type: 'string', default: '20000' },
    'kafka-singles': { type: 'string', default: '200' },
    'kafka-commands': { type: 'string', default: '200' },
    'rebuild-events': { type: 'string', default: '100000' },
    only: { type: 'string' },
    clients: { type: 'string', default: '16' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    'soak-seconds': { type: 'string', default: '0' },
    users: { type: 'string', default: '100' },
    opportunities: { type: 'string', default: '1000' },
    'cpu-prof': { type: 'string' },
    statements: { type: 'boolean', default: false },
    workflows: { type: 'boolean', default: false },
    service: { type: 'string' },
    // As npm start and the Docker image run it (package.json, Dockerfile); --node-flags= for none.
    'node-flags': { type: 'string', default: '--max-old-space-size=1024 --max-semi-space-size=16' },
  },
});
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

const database = await benchDatabase('bench', { statements: values.statements });
const { url, db } = database;

try {
  // 1. W1 (issue 14): 16 writers, 400 streams × 10 appends, exact expected revision, beside pgbench.
  if (values.only !== 'w2') await benchW1({ url, pgDataDir: '.data/bench-pg' });

  // W2: the command path against the compiled service as its own process (bench/commands.ts).
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  await benchCommands({
    url,
    pgDataDir: '.data/bench-pg',
    clients: Number(values.clients),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    soakSeconds: Number(values['soak-seconds']),
    users: Number(values.users),
    opportunities: Number(values.opportunities),
    ...(values['cpu-prof'] ? { cpuProfileDir: values['cpu-prof'] } : {}),
    statements: values.statements,
    workflows: values.workflows,
    ...(values.service ? { service: values.service } : {}),
    ...(values['node-flags'] ? { nodeFlags: values['node-flags'].split(' ') } : {}),
  });
  // The machine's floor at the same rate: a minimal service on the same stack (bench/floor.ts).
  await benchFloor({
    url,
    pgDataDir: '.data/bench-pg',
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    ...(values['node-flags'] ? { nodeFlags: values['node-flags'].split(' ') } : {}),
  });
  if (values.only === 'w2') {
    await database.drop();
    process.exit(0);
  }

  // 2. Commands through HTTP, as sales reps send them: with the rate limits counted in
  // PostgreSQL (high enough that nothing is refused), and without them, to price the limiter.
  const stageChanges = async (label: string, limits: Record<string, string>, prefix: string) => {
    const secret = 'bench-secret-0123456789abcdef0123456789';
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url, LOG_LEVEL: 'silent', JWT_SECRET: secret, ...limits });
    const app = await startApp(config, createLogger('silent'));
    const token = await mintToken(secret, { tenantId: 'bench', userId: 'u', roles: ['sales_rep'] });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const opportunities = Math.max(1, Math.floor(COMMANDS / 10));
    await inParallel(CONCURRENCY, opportunities, async (i) => {
      await fetch(`${app.url}/api/v1/opportunities`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ id: `${prefix}-${i}`, customer_id: 'C', amount: '1000.00', stage: 'PROSPECTING' }),
      });
    });
    const stages = ['QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'PROSPECTING'];
    const latencies: number[] = [];
    let failures = 0;
    const t0 = performance.now();
    await inParallel(CONCURRENCY, COMMANDS, async (i) => {
      const started = performance.now();
      const res = await fetch(`${app.url}/api/v1/opportunities/${prefix}-${i % opportunities}/stage`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ stage: stages[Math.floor(i / opportunities) % stages.length] }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) failures++;
      latencies.push(performance.now() - started);
    });
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      `stage change over HTTP, ${label}: ${COMMANDS} commands on ${opportunities} opportunities, ${CONCURRENCY} clients: ` +
        `${Math.round(COMMANDS / seconds)} commands/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(latencies, 95).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (SLO: p95 < 300 ms), ${failures} non-200`,
    );
    await app.stop();
    return percentile(latencies, 50);
  };
  const without = await stageChanges('rate limits off', { RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_BURST_PER_SECOND: '0', RATE_LIMIT_GLOBAL_PER_MINUTE: '0' }, 'B');
  const withLimits = await stageChanges('rate limits on', { RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_BURST_PER_SECOND: '1000000' }, 'R');
  console.log(`rate limits: ${(withLimits - without).toFixed(2)} ms added to the p50 of a command (one counting statement in PostgreSQL)`);

  // Bulk (1,000 items in one request) and a GraphQL page of 200 deals with their records.
  {
    const secret = 'bench-secret-0123456789abcdef0123456789';
    const off = { RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_BURST_PER_SECOND: '0', RATE_LIMIT_GLOBAL_PER_MINUTE: '0' };
    const app = await startApp(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url, LOG_LEVEL: 'silent', JWT_SECRET: secret, ...off }), createLogger('silent'));
    const token = await mintToken(secret, { tenantId: 'bench', userId: 'u', roles: ['sales_rep'] });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const deals = Math.max(1, Math.floor(COMMANDS / 10));
    const items = Array.from({ length: 1000 }, (_, i) => ({ op: 'update', id: `B-${i % deals}`, amount: `${2000 + i}.00` }));
    let started = performance.now();
    const bulk = await fetch(`${app.url}/api/v1/opportunities/bulk`, { method: 'POST', headers, body: JSON.stringify({ items }) });
    const answer = (await bulk.json()) as { succeeded: number };
    console.log(`bulk: 1,000 updates over ${deals} opportunities in one request: ${(performance.now() - started).toFixed(0)} ms, ${answer.succeeded} applied`);
    const query = JSON.stringify({ query: '{ opportunities(limit: 200) { nodes { id amount dealScore account { id name } owner { id } territory { id name } } } }' });
    const latencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      started = performance.now();
      await (await fetch(`${app.url}/graphql`, { method: 'POST', headers, body: query })).arrayBuffer();
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    console.log(`GraphQL: a page of 200 opportunities with account, owner and territory: p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`);
    await app.stop();
  }

  // The limiter alone: what one request's check costs, one caller after another.
  const { createRateLimiter } = await import('../src/http/rateLimit.js');
  const limiter = createRateLimiter(url, { perUserPerMinute: 10_000_000, perUserPerSecond: 1_000_000, globalPerMinute: 1_000_000_000 });
  const checks = 5000;
  const t = performance.now();
  await inParallel(CONCURRENCY, checks, async (i) => void (await limiter.check(`bench/u-${i % 50}`)));
  const s = (performance.now() - t) / 1000;
  console.log(`rate limiter alone: ${Math.round(checks / s)} checks/s, ${((s * 1000 * CONCURRENCY) / checks).toFixed(2)} ms per check, ${CONCURRENCY} callers`);
  await limiter.close();

  // 3. Every read model rebuilt from position 0 (npm run bench:rebuild: over 1,000,000 events).
  await benchRebuilds({ url, db, events: Number(values['rebuild-events']), generate: true });

  // 4. Kafka outbound publish on a real broker (needs Java 17 and Maven, as the Kafka suites do).
  await benchKafkaPublish({ url, db, backlog: Number(values['kafka-backlog']), singles: Number(values['kafka-singles']), commandToTopic: Number(values['kafka-commands']) });
} finally {
  await database.drop();
}
process.exit(0);
