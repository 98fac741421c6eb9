import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { WrongExpectedRevisionError } from '../../src/eventstore/port.js';
import { PACE_MAX_MS, PACE_MIN_MS } from '../../src/eventstore/postgres/tailPace.js';
import { instrumentEventStore } from '../../src/observability/instrumentedStore.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { freshDatabase } from '../support/postgres.js';

/** The value of one series in Prometheus text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('Observability: GET /metrics', () => {
  let app: TestApp;
  before(async function () {
    this.timeout(60_000);
    // A burst of 3 a second, so that the fourth quick request of one caller is refused.
    app = await startTestApp({ RATE_LIMIT_BURST_PER_SECOND: '3' });
  });
  after(async () => app?.stop());

  it('answers Prometheus text without credentials: requests by route template and status, commands by outcome, appends, pools, rate limits', async () => {
    const created = await app.request('POST', '/api/v1/opportunities', { body: { id: 'MET-1', customer_id: 'C-1', amount: '10.00' } });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const stale = await app.request('PATCH', '/api/v1/opportunities/MET-1', { body: { amount: '20.00' }, headers: { 'if-match': '"7"' } });
    expect(stale.status).to.equal(409);
    const read = await app.request('GET', `/api/v1/opportunities/MET-1?min_position=${created.body.position}`);
    expect(read.status).to.equal(200);
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => app.request('GET', '/api/v1/opportunities', { identity: { userId: 'user-burst' } })),
    );
    expect(burst.map((r) => r.status)).to.include(429);

    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();

    const http = 'crm_http_request_duration_seconds_count';
    expect(sample(text, http, { method: 'POST', route: '/api/v1/opportunities', status: '201' })).to.equal(1);
    expect(sample(text, http, { method: 'PATCH', route: '/api/v1/opportunities/{id}', status: '409' })).to.equal(1);
    expect(sample(text, http, { method: 'GET', route: '/api/v1/opportunities/{id}', status: '200' })).to.equal(1);
    // Refused before routing, still labelled by its template.
    expect(sample(text, http, { method: 'GET', route: '/api/v1/opportunities', status: '429' })).to.be.at.least(1);
    expect(text, 'no raw path in a label').not.to.include('MET-1');

    const commands = 'crm_command_duration_seconds_count';
    expect(sample(text, commands, { aggregate: 'opportunity', command: 'CreateOpportunity', outcome: 'ok' })).to.equal(1);
    expect(sample(text, commands, { aggregate: 'opportunity', command: 'UpdateOpportunity', outcome: 'conflict' })).to.equal(1);
    expect(sample(text, 'crm_eventstore_append_duration_seconds_count', { outcome: 'ok' })).to.be.at.least(1);
    expect(sample(text, 'crm_eventstore_append_conflicts_total')).to.equal(0);

    expect(sample(text, 'crm_rate_limit_rejections_total', { limit: 'burst' })).to.equal(burst.filter((r) => r.status === 429).length);
    for (const pool of ['read_models', 'event_store', 'rate_limits']) {
      for (const state of ['used', 'free', 'pending']) expect(sample(text, 'crm_db_pool_connections', { pool, state }), `${pool} ${state}`).to.be.a('number');
    }
    expect(sample(text, 'crm_db_pool_connections', { pool: 'read_models', state: 'free' })).to.be.at.least(1);
    // This app runs every projection: it leads, and the one the read waited for is caught up.
    const position = String(created.body.position);
    expect(sample(text, 'crm_subscription_leader', { subscription: 'opportunities' })).to.equal(1);
    expect(sample(text, 'crm_subscription_leadership_changes_total', { subscription: 'opportunities', change: 'acquired' })).to.equal(1);
    expect(sample(text, 'crm_subscription_lag_events', { subscription: 'opportunities' })).to.equal(0);
    expect(sample(text, 'crm_subscription_lag_seconds', { subscription: 'opportunities' })).to.equal(0);
    expect(sample(text, 'crm_subscription_checkpoint', { subscription: 'opportunities' })).to.be.at.least(Number(position.split('/')[0]));
    // The shared tail's pause (tailPace.ts), in seconds: within its bounds.
    expect(sample(text, 'crm_subscription_tail_pause_seconds')).to.be.within(PACE_MIN_MS / 1000, PACE_MAX_MS / 1000);
    // Process metrics carry the prefix; the subscription and Kafka series are declared for their owners.
    expect(sample(text, 'crm_process_cpu_user_seconds_total')).to.be.a('number');
    for (const [name, type] of [
      ['crm_subscription_lag_events', 'gauge'],
      ['crm_subscription_lag_seconds', 'gauge'],
      ['crm_subscription_checkpoint', 'gauge'],
      ['crm_subscription_leader', 'gauge'],
      ['crm_subscription_leadership_changes_total', 'counter'],
      ['crm_kafka_messages_published_total', 'counter'],
      ['crm_kafka_publish_errors_total', 'counter'],
      ['crm_kafka_inbound_messages_total', 'counter'],
    ]) {
      expect(text).to.include(`# TYPE ${name} ${type}\n`);
    }
  });
});

describe('Observability: metrics objects', () => {
  it('each createMetrics() has its own registry', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.rateLimitRejections.inc({ limit: 'user' });
    expect(sample(await a.registry.metrics(), 'crm_rate_limit_rejections_total', { limit: 'user' })).to.equal(1);
    expect(sample(await b.registry.metrics(), 'crm_rate_limit_rejections_total', { limit: 'user' })).to.equal(undefined);
  });

  it('the event store decorator times appends and counts conflicts', async function () {
    this.timeout(30_000);
    const database = await freshDatabase('metrics');
    const inner = createPostgresEventStore({ connection: database.url });
    const metrics = createMetrics({ defaultMetrics: false });
    const store = instrumentEventStore(inner, metrics);
    try {
      const event = () => ({ eventId: randomUUID(), eventType: 'Tested', data: {}, metadata: {} });
      await store.append('test-t1:one', [event()], 'no_stream');
      let refused: unknown;
      await store.append('test-t1:one', [event()], 'no_stream').catch((err: unknown) => (refused = err));
      expect(refused).to.be.instanceOf(WrongExpectedRevisionError);
      const text = await metrics.registry.metrics();
      expect(sample(text, 'crm_eventstore_append_duration_seconds_count', { outcome: 'ok' })).to.equal(1);
      expect(sample(text, 'crm_eventstore_append_duration_seconds_count', { outcome: 'conflict' })).to.equal(1);
      expect(sample(text, 'crm_eventstore_append_conflicts_total')).to.equal(1);
      expect(typeof store.countEvents).to.equal(typeof inner.countEvents);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
