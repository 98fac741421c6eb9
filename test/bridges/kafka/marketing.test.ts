import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { type ReadMessage, kafkaService, produce, readTopics, waitFor } from './support.js';

/**
 * Seed 004's upstream: Marketing's lead.qualified, JSON in the standard envelope on
 * marketing.lead.qualified. It creates or syncs the lead; a duplicate has one effect; what cannot
 * be read goes to the dead-letter topic and the next message is still applied.
 */
const TENANT = 'tenant-marketing';

describe('Kafka bridge: marketing lead.qualified in the running service (real broker)', function () {
  this.timeout(120_000);
  const service = kafkaService();
  const call = async (method: string, path: string) => service.app.request(method, path, { identity: { tenantId: TENANT, userId: 'user-200', roles: ['admin'] } });

  const message = (payload: Record<string, unknown>, eventId = randomUUID()) => ({
    event_id: eventId,
    event_type: 'lead.qualified',
    timestamp: '2026-02-11T08:00:00Z',
    source: 'marketing-system',
    version: '1.0',
    tenant_id: TENANT,
    payload,
  });
  const seed = (leadId: string, score: number, touches = ['paid_search', 'email', 'webinar']) => ({
    lead_id: leadId,
    source: 'webinar',
    score,
    campaign_id: 'CAMP-7',
    attribution: { first_touch: touches[0], last_touch: touches.at(-1), touches },
    profile: { first_name: 'John', last_name: 'Doe', email: 'john.doe@example.com', company: 'Acme Corp', title: 'VP Engineering', phone: '+1-555-0100' },
    firmographic: { industry: 'Technology', employee_count: 500, annual_revenue: 50000000 },
  });
  async function publish(key: string, ...values: (object | string)[]): Promise<void> {
    const topic = service.topics.inbound.MarketingLeadQualifiedEvent.topic;
    await produce(service.broker.brokers, topic, values.map((v) => ({ key, value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), headers: {} })));
  }
  const history = async (id: string) => ((await call('GET', `/api/v1/leads/${id}/history`)).body as { data: { event_type: string; actor: string }[] }).data;

  before(async function () {
    this.timeout(90_000);
    // The inbound creates the topic it consumes when it first connects.
    await waitFor(async () => (await service.app.request('GET', '/health', { auth: false })).body.kafka?.inbound?.consuming === true, 60_000, 'the inbound to consume');
  });

  it('creates the lead with the attribution and score; the same message twice, and the same content again, have one effect', async () => {
    const first = message(seed('LEAD-M1', 85));
    await publish('LEAD-M1', first, first, message(seed('LEAD-M1', 85)));
    await waitFor(async () => (await call('GET', '/api/v1/leads/LEAD-M1/score')).status === 200, 30_000, 'the lead');
    const score = (await call('GET', '/api/v1/leads/LEAD-M1/score')).body;
    expect(score).to.include({ lead_id: 'LEAD-M1', marketing_score: 85, campaign_id: 'CAMP-7' });
    expect(score.attribution).to.deep.equal({ first_touch: 'paid_search', last_touch: 'webinar', touches: ['paid_search', 'email', 'webinar'] });
    const lead = (await call('GET', '/api/v1/leads/LEAD-M1')).body;
    expect(lead).to.include({ company: 'Acme Corp', source: 'webinar' });

    // A newer score: synced once, whatever the redeliveries.
    const rescored = message(seed('LEAD-M1', 92));
    await publish('LEAD-M1', rescored, rescored);
    await waitFor(async () => (await call('GET', '/api/v1/leads/LEAD-M1/score')).body.marketing_score === 92, 30_000, 'the new score');
    await waitFor(async () => (await service.app.database.db('kafka_inbox').where({ event_id: rescored.event_id })).length === 1, 30_000, 'the inbox');
    const events = (await history('LEAD-M1')).map((e) => e.event_type);
    expect(events.filter((t) => t === 'LeadCreatedEvent')).to.have.length(1);
    expect(events.filter((t) => t === 'LeadMarketingSyncedEvent')).to.have.length(2); // the first sync, then the new score
    expect((await history('LEAD-M1')).every((e) => e.actor === 'system:kafka-inbound')).to.equal(true);
  });

  it('an unreadable message or one without a lead id goes to the DLQ; the next one is applied', async () => {
    const noLead = message({ ...seed('x', 50), lead_id: undefined });
    await publish('LEAD-M2', '{not json', noLead, message({ ...seed('LEAD-M2', 40), score: 'high' }), message(seed('LEAD-M2', 60)));
    await waitFor(async () => (await call('GET', '/api/v1/leads/LEAD-M2/score')).body.marketing_score === 60, 30_000, 'the good message');
    const dlq = await readTopics(service.broker.brokers, [service.topics.dlq.topic], (m) => m.filter((x) => x.key === 'LEAD-M2').length >= 3, 60_000);
    const mine = dlq.filter((x: ReadMessage) => x.key === 'LEAD-M2');
    expect(mine.map((x) => x.headers['error-type'])).to.deep.equal(['decode-error', 'rejected', 'decode-error']);
    expect(mine[2]!.headers['error-message']).to.match(/payload\.score/);
    expect((await call('GET', '/api/v1/leads/LEAD-M2/score')).body.marketing_score).to.equal(60);
  });
});
