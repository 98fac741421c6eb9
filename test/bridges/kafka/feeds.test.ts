import { expect } from 'chai';
import type { BrokerHandle } from '../../../scripts/kafka/broker.js';
import { avroCodec } from '../../../src/bridges/kafka/avro.js';
import { resolveTopics } from '../../../src/bridges/kafka/topics.js';
import { type TestApp, startTestApp } from '../../support/app.js';
import { type ReadMessage, readTopics, testBroker, testTopicOverrides, waitFor } from './support.js';

/**
 * Seed 004's JSON feeds from the running service to a real broker: the standard envelope, the
 * billing and onboarding messages of a won deal equal to what was sent (to the cent), the
 * pub/sub topics keyed by entity, forecast.updated on a snapshot.
 */
const overrides = testTopicOverrides();
const feeds = resolveTopics(overrides).feeds;
const erasedTopic = resolveTopics(overrides).published.PersonalDataErasedEvent.topic;
const TENANT = 'tenant-feeds';

interface Envelope {
  event_id: string;
  event_type: string;
  timestamp: string;
  source: string;
  version: string;
  correlation_id: string | null;
  user_id: string | null;
  tenant_id: string;
  payload: Record<string, unknown>;
}
const envelopeOf = (m: ReadMessage) => JSON.parse(m.value!.toString('utf8')) as Envelope;

describe('Seed 004 JSON feeds in the running service (real broker)', function () {
  this.timeout(180_000);
  let broker: BrokerHandle;
  let app: TestApp;
  const identity = { tenantId: TENANT, userId: 'user-200' };
  const call = async (method: string, path: string, body?: unknown) => app.request(method, path, { body, identity });

  before(async function () {
    this.timeout(180_000);
    broker = await testBroker();
    app = await startTestApp({ KAFKA_BROKERS: broker.brokers, ...overrides });
    // The feeds begin at the head of the log on their first start: wait until they run.
    await waitFor(async () => (await app.request('GET', '/health', { auth: false })).body.kafka?.feeds?.running === true, 60_000, 'the feeds to start');
  });
  after(async function () {
    this.timeout(60_000);
    await app?.stop();
    await broker?.stop();
  });

  const terms = {
    contract_term: 12,
    start_date: '2026-03-01',
    payment_terms: 'net_30',
    billing_frequency: 'monthly',
    products: [
      { product_id: 'prod_123', product_name: 'Enterprise Plan', quantity: 100, unit_price: '1000.10', discount: '0.10', configuration: { data_center: 'us-east-1', features: ['sso', 'api_access'] } },
      { product_id: 'prod_9', quantity: 3, unit_price: 0.07, discount: 0 },
    ],
    special_requirements: 'Requires custom integration with Salesforce',
    priority: 'high',
    contacts: [{ type: 'primary', name: 'John Doe', email: 'john.doe@acme.example', phone: '+1-555-0100' }],
  };

  it('a won deal publishes one billing and one onboarding message with the terms as sent, to the cent', async () => {
    expect((await call('POST', '/api/v1/customers', { id: 'CUST-F1', name: 'Acme Corp' })).status).to.equal(201);
    expect((await call('POST', '/api/v1/opportunities', { id: 'OPP-F1', customer_id: 'CUST-F1', amount: '90000.21', stage: 'PROPOSAL' })).status).to.equal(201);
    const put = await call('PUT', '/api/v1/opportunities/OPP-F1/commercial-terms', terms);
    expect(put.status, JSON.stringify(put.body)).to.equal(200);
    expect(put.body.commercial_terms.products[1].unit_price).to.equal('0.07');
    expect((await call('POST', '/api/v1/opportunities/OPP-F1/close', { outcome: 'won', close_date: '2026-02-20' })).status).to.equal(200);

    const wanted = [feeds.SALES_CONTRACTS.topic, feeds.SALES_ONBOARDING.topic, feeds.SALES_OPPORTUNITIES.topic];
    const mine = (ms: readonly ReadMessage[], topic: string) => ms.filter((m) => m.topic === topic && m.key === 'OPP-F1');
    const messages = await readTopics(
      broker.brokers,
      wanted,
      (ms) => mine(ms, feeds.SALES_CONTRACTS.topic).length > 0 && mine(ms, feeds.SALES_ONBOARDING.topic).length > 0 && mine(ms, feeds.SALES_OPPORTUNITIES.topic).length >= 2,
      90_000,
    );
    const [billing, ...moreBilling] = mine(messages, feeds.SALES_CONTRACTS.topic).map(envelopeOf);
    expect(moreBilling, 'one billing message').to.have.length(0);
    expect(billing).to.include({ event_type: 'opportunity.closed_won', source: 'crm-pipeline', version: '1.0', tenant_id: TENANT, user_id: 'user-200' });
    expect(billing!.payload).to.deep.equal({
      opportunity_id: 'OPP-F1',
      account_id: 'CUST-F1',
      amount: '90000.21',
      currency: 'USD',
      close_date: '2026-02-20',
      contract_term: 12,
      start_date: '2026-03-01',
      payment_terms: 'net_30',
      billing_frequency: 'monthly',
      products: [
        { product_id: 'prod_123', quantity: 100, unit_price: '1000.10', discount: '0.10' },
        { product_id: 'prod_9', quantity: 3, unit_price: '0.07', discount: '0' },
      ],
      owner: { user_id: 'user-200', name: null, email: null },
    });
    const [onboarding, ...moreOnboarding] = mine(messages, feeds.SALES_ONBOARDING.topic).map(envelopeOf);
    expect(moreOnboarding, 'one onboarding message').to.have.length(0);
    expect(onboarding!.event_type).to.equal('onboarding.trigger');
    expect(onboarding!.payload).to.deep.include({
      account_name: 'Acme Corp',
      contract_start_date: '2026-03-01',
      special_requirements: 'Requires custom integration with Salesforce',
      priority: 'high',
      contacts: [{ type: 'primary', name: 'John Doe', email: 'john.doe@acme.example', phone: '+1-555-0100' }],
    });
    expect((onboarding!.payload.products as unknown[])[0]).to.deep.equal({
      product_id: 'prod_123',
      product_name: 'Enterprise Plan',
      quantity: 100,
      configuration: { data_center: 'us-east-1', features: ['sso', 'api_access'] },
    });
    const types = mine(messages, feeds.SALES_OPPORTUNITIES.topic).map((m) => envelopeOf(m).event_type);
    expect(types).to.include.members(['opportunity.created', 'opportunity.won']);
    expect(new Set([billing!.event_id, onboarding!.event_id]).size).to.equal(2);
  });

  it('terms are validated: a bad discount, a repeated product, a closed deal', async () => {
    expect((await call('POST', '/api/v1/opportunities', { id: 'OPP-F2', customer_id: 'CUST-F2', amount: '10.00' })).status).to.equal(201);
    const bad = await call('PUT', '/api/v1/opportunities/OPP-F2/commercial-terms', { ...terms, products: [{ ...terms.products[0], discount: '1.5' }] });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal('VALIDATION_ERROR');
    const twice = await call('PUT', '/api/v1/opportunities/OPP-F2/commercial-terms', { ...terms, products: [terms.products[0], terms.products[0]] });
    expect(twice.status).to.equal(400);
    const floaty = await call('PUT', '/api/v1/opportunities/OPP-F2/commercial-terms', { ...terms, products: [{ ...terms.products[1], unit_price: 0.001 }] });
    expect(floaty.status).to.equal(400);
    expect((await call('POST', '/api/v1/opportunities/OPP-F2/close', { outcome: 'lost', reason: 'budget' })).status).to.equal(200);
    const closed = await call('PUT', '/api/v1/opportunities/OPP-F2/commercial-terms', terms);
    expect(closed.status).to.equal(409);
    const history = (await call('GET', '/api/v1/opportunities/OPP-F2/history')).body.data as { event_type: string }[];
    expect(history.filter((e) => e.event_type === 'OpportunityCommercialTermsSetEvent')).to.have.length(0);
  });

  it('the pub/sub topics: a lead on sales.leads without personal data, keyed by the lead', async () => {
    const lead = await call('POST', '/api/v1/leads', {
      id: 'LEAD-F1',
      source: 'webinar',
      company: 'Globex',
      first_name: 'Ann',
      last_name: 'Smith',
      email: 'ann.smith@globex.example',
    });
    expect(lead.status, JSON.stringify(lead.body)).to.equal(201);
    const messages = await readTopics(broker.brokers, [feeds.SALES_LEADS.topic], (ms) => ms.some((m) => m.key === 'LEAD-F1'), 60_000);
    const created = envelopeOf(messages.find((m) => m.key === 'LEAD-F1')!);
    expect(created.event_type).to.equal('lead.created');
    expect(created.payload).to.include({ lead_id: 'LEAD-F1', source: 'webinar' });
    expect(JSON.stringify(created)).not.to.match(/ann\.smith|Smith/);
  });

  it('crossing a quota publishes quota.set, then one quota.attained on sales.quotas', async () => {
    const admin = { tenantId: TENANT, userId: 'admin-1', roles: ['admin'] };
    const set = await app.request('PUT', '/api/v1/quotas', { identity: admin, body: { owner_id: 'user-q', period: 'Q2_2026', amount: '1000.00' } });
    expect(set.status, JSON.stringify(set.body)).to.equal(200);
    const quotaId = set.body.id as string;
    for (const [id, amount] of [['OPP-Q1', '600.00'], ['OPP-Q2', '500.00'], ['OPP-Q3', '50.00']] as const) {
      expect((await app.request('POST', '/api/v1/opportunities', { identity: admin, body: { id, customer_id: 'CUST-Q', amount, owner_id: 'user-q' } })).status).to.equal(201);
      expect((await app.request('POST', `/api/v1/opportunities/${id}/close`, { identity: admin, body: { outcome: 'won', close_date: '2026-05-10' } })).status).to.equal(200);
    }
    const ofQuota = (ms: readonly ReadMessage[]) => ms.filter((m) => m.key === quotaId).map((m) => envelopeOf(m).event_type);
    const messages = await readTopics(broker.brokers, [feeds.SALES_QUOTAS.topic], (ms) => ofQuota(ms).includes('quota.attained'), 90_000);
    // The third deal after the crossing attains nothing more; give its effect time to show in the feed.
    await waitFor(async () => (await app.request('GET', '/health', { auth: false })).body.kafka?.feeds?.lag === 0, 60_000, 'the feeds to catch up');
    const all = await readTopics(broker.brokers, [feeds.SALES_QUOTAS.topic], (ms) => ms.length >= messages.length, 30_000);
    expect(ofQuota(all)).to.deep.equal(['quota.set', 'quota.attained']);
    const attained = envelopeOf(all.find((m) => m.key === quotaId && envelopeOf(m).event_type === 'quota.attained')!);
    expect(attained.payload).to.include({ quota_id: quotaId });
  });

  it('an erased contact is erased in what is published afterwards, and the erasure itself is published', async () => {
    const person = { type: 'billing', name: 'Greta Erased', email: 'greta.erased@acme.example', phone: '+1-555-0199' };
    expect((await call('POST', '/api/v1/opportunities', { id: 'OPP-F9', customer_id: 'CUST-F9', amount: '10.00' })).status).to.equal(201);
    expect((await call('PUT', '/api/v1/opportunities/OPP-F9/commercial-terms', { ...terms, contacts: [person] })).status).to.equal(200);
    const erased = await app.request('POST', '/api/v1/privacy/erasures', { identity: { ...identity, roles: ['compliance'] }, body: { email: person.email } });
    expect(erased.status, JSON.stringify(erased.body)).to.equal(201);
    const subjectId = erased.body.subjects[0].subject_id as string;
    expect((await call('POST', '/api/v1/opportunities/OPP-F9/close', { outcome: 'won', close_date: '2026-02-21' })).status).to.equal(200);

    const messages = await readTopics(
      broker.brokers,
      [feeds.SALES_ONBOARDING.topic, erasedTopic],
      (ms) => ms.some((m) => m.topic === feeds.SALES_ONBOARDING.topic && m.key === 'OPP-F9') && ms.some((m) => m.topic === erasedTopic && m.key === subjectId),
      90_000,
    );
    const onboarding = envelopeOf(messages.find((m) => m.topic === feeds.SALES_ONBOARDING.topic && m.key === 'OPP-F9')!);
    expect(onboarding.payload.contacts).to.deep.equal([{ type: 'billing', name: null, email: null, phone: null }]);
    const fact = messages.find((m) => m.topic === erasedTopic && m.key === subjectId)!;
    const record = avroCodec().decode('PersonalDataErasedEvent', fact.value!) as Record<string, unknown>;
    expect(record).to.include({ tenantId: TENANT, subjectId, requestedBy: 'email', requestedFor: null });
    expect(record.records).to.deep.equal([{ type: 'opportunity', id: 'OPP-F9' }]);
    for (const m of messages) expect(m.value!.toString('utf8'), m.topic).not.to.match(/Greta|greta\.erased|555-0199/);
  });

  it('a forecast snapshot publishes forecast.updated with its breakdown', async () => {
    expect((await call('POST', '/api/v1/forecasts', { id: 'FC-F1', period: 'Q1_2026', forecast_type: 'commit', amount: '500000.00' })).status).to.equal(201);
    const snap = await call('POST', '/api/v1/forecasts/FC-F1/snapshots', {});
    expect(snap.status, JSON.stringify(snap.body)).to.be.oneOf([200, 201]);
    const messages = await readTopics(broker.brokers, [feeds.SALES_FORECASTS.topic], (ms) => ms.some((m) => m.key === 'FC-F1'), 60_000);
    const updated = envelopeOf(messages.find((m) => m.key === 'FC-F1')!);
    expect(updated.event_type).to.equal('forecast.updated');
    expect(updated.payload).to.include({ forecast_id: 'FC-F1', period: 'Q1_2026', forecast_type: 'commit' });
    expect(updated.payload.breakdown).to.be.an('array');
  });
});
