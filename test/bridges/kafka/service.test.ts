import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { type AvroRecord, avroCodec } from '../../../src/bridges/kafka/avro.js';
import type { ConsumedEventType } from '../../../src/bridges/kafka/topics.js';
import { kafkaService, produce, readTopics, waitFor } from './support.js';

/**
 * The service as deployed with KAFKA_BROKERS: commands over HTTP come out on the documented
 * topics, and the consumed events of other contexts change what the API answers.
 */
const codec = avroCodec();
const TENANT = 'tenant-kafka';

describe('Kafka bridge in the running service (real broker)', function () {
  this.timeout(120_000);
  const service = kafkaService();
  const topics = service.topics;
  const identity = { tenantId: TENANT, userId: 'user-200' };

  const call = async (method: string, path: string, body?: unknown) => service.app.request(method, path, { body, identity });

  async function publish(type: ConsumedEventType, key: string, fields: Record<string, unknown>): Promise<string> {
    const eventId = randomUUID();
    const record: AvroRecord = { eventId, timestamp: Date.now(), tenantId: TENANT, ...fields };
    await produce(service.broker.brokers, topics.inbound[type].topic, [{ key, value: codec.encodeRecord(type, record), headers: { eventType: type } }]);
    return eventId;
  }

  it('publishes the seed scenario on the documented topics, keyed by the opportunity', async () => {
    expect((await call('POST', '/api/v1/opportunities', { id: 'OPP-100', customer_id: 'CUST-100', amount: '120000.00', currency: 'USD', stage: 'QUALIFICATION' })).status).to.equal(201);
    expect((await call('PUT', '/api/v1/opportunities/OPP-100/stage', { stage: 'NEGOTIATION' })).status).to.equal(200);
    expect((await call('POST', '/api/v1/opportunities/OPP-100/close', { outcome: 'won' })).status).to.equal(200);
    // The bridge creates the topics when it first connects.
    await waitFor(async () => {
      const h = (await service.app.request('GET', '/health', { auth: false })).body;
      return h.kafka.outbound.connected === true && h.kafka.outbound.lag === 0;
    }, 60_000, 'the bridge to publish everything');
    const wanted = [topics.published.OpportunityCreatedEvent.topic, topics.published.OpportunityStageChangedEvent.topic, topics.published.OpportunityClosedWonEvent.topic];
    const messages = await readTopics(service.broker.brokers, wanted, (m) => wanted.every((t) => m.some((x) => x.topic === t && x.key === 'OPP-100')), 60_000);
    for (const topic of wanted) {
      const m = messages.find((x) => x.topic === topic && x.key === 'OPP-100')!;
      expect(m.headers).to.include({ tenantId: TENANT });
      const decoded = codec.decode(m.headers.eventType!, m.value!) as Record<string, unknown>;
      expect(decoded.opportunityId).to.equal('OPP-100');
      if ('amount' in decoded) expect(decoded.amount).to.equal('120000.00');
    }
    const health = await service.app.request('GET', '/health', { auth: false });
    expect(health.body.kafka.configured).to.equal(true);
    expect(health.body.kafka.outbound).to.include.keys('lag', 'checkpoint', 'connected');
  });

  it('QuoteCreatedEvent attaches its pricing to the opportunity, once', async () => {
    expect((await call('POST', '/api/v1/opportunities', { id: 'OPP-Q', customer_id: 'CUST-Q', amount: '5000.00', stage: 'PROPOSAL' })).status).to.equal(201);
    const quote = { quoteId: 'Q-1', opportunityId: 'OPP-Q', customerId: 'CUST-Q', totalAmount: '4800.50', currency: 'USD', validUntil: '2026-12-31' };
    await publish('QuoteCreatedEvent', 'OPP-Q', quote);
    await publish('QuoteCreatedEvent', 'OPP-Q', quote); // the same quote again: one effect
    await waitFor(async () => (await call('GET', '/api/v1/opportunities/OPP-Q')).body.pricing !== null, 30_000, 'the pricing snapshot');
    const opp = (await call('GET', '/api/v1/opportunities/OPP-Q')).body;
    expect(opp.pricing).to.deep.equal({ quote_id: 'Q-1', amount: '4800.50', currency: 'USD', valid_until: '2026-12-31' });
    await new Promise((r) => setTimeout(r, 1500));
    const history = (await call('GET', '/api/v1/opportunities/OPP-Q/history')).body.data as { event_type: string; actor: string }[];
    const attached = history.filter((e) => e.event_type === 'OpportunityPricingSnapshotAttachedEvent');
    expect(attached).to.have.length(1);
    expect(attached[0]!.actor).to.equal('system:kafka-inbound');
  });

  it('CreditLimitExceededEvent blocks closing as won until CreditLimitRestoredEvent', async () => {
    expect((await call('POST', '/api/v1/opportunities', { id: 'OPP-C', customer_id: 'CUST-C', amount: '100.00', stage: 'NEGOTIATION' })).status).to.equal(201);
    const block = async () =>
      (await service.app.database.db('customer_credit_blocks').where({ tenant_id: TENANT, customer_id: 'CUST-C' }).first()) as { blocked: boolean } | undefined;
    await publish('CreditLimitExceededEvent', 'CUST-C', { customerId: 'CUST-C', creditLimit: '1000.00', exposure: '1500.00', currency: 'USD' });
    await waitFor(async () => (await block())?.blocked === true, 30_000, 'the credit block');
    const blocked = await call('POST', '/api/v1/opportunities/OPP-C/close', { outcome: 'won' });
    expect(blocked.status).to.equal(409);
    expect(blocked.body.error.code).to.equal('CONFLICT');
    expect(blocked.body.error.details.reason).to.equal('CREDIT_LIMIT_EXCEEDED');
    expect((await call('PUT', '/api/v1/opportunities/OPP-C/stage', { stage: 'CLOSED_WON' })).status).to.equal(409);
    // Other moves stay allowed; winning is lifted by the restore event.
    expect((await call('PUT', '/api/v1/opportunities/OPP-C/stage', { stage: 'PROPOSAL' })).status).to.equal(200);
    await publish('CreditLimitRestoredEvent', 'CUST-C', { customerId: 'CUST-C' });
    await waitFor(async () => (await block())?.blocked === false, 30_000, 'the block lifted');
    expect((await call('POST', '/api/v1/opportunities/OPP-C/close', { outcome: 'won' })).status).to.equal(200);
    expect((await call('GET', '/api/v1/opportunities/OPP-C/history')).body.data.at(-1).event_type).to.equal('OpportunityClosedWonEvent');
  });

  it('LeadCreatedEvent creates the initial customer profile, a prospect', async () => {
    await publish('LeadCreatedEvent', 'L-77', {
      leadId: 'L-77',
      source: 'webinar',
      ownerId: 'user-9',
      companyName: 'Initech',
      personalData: { firstName: 'Peter', lastName: 'Gibbons', email: 'peter@initech.example', phone: null },
    });
    let found: { status: number; body: { data: { name: string; status: string }[] } } | undefined;
    await waitFor(async () => {
      found = await call('GET', '/api/v1/customers?status=PROSPECT');
      return found.status === 200 && found.body.data.some((c) => c.name === 'Initech');
    }, 30_000, 'the initial profile');
    expect(found!.body.data.filter((c) => c.name === 'Initech')).to.have.length(1);
  });

  it('keeps a consumed event about a customer we do not hold yet and shows it once the profile exists', async () => {
    const eventId = await publish('ServiceOrderCreatedEvent', 'CUST-LATE', { serviceOrderId: 'SO-LATE', customerId: 'CUST-LATE', description: 'Boiler check', createdAt: Date.parse('2026-02-02T08:00:00Z') });
    await waitFor(async () => (await service.app.database.db('kafka_inbox').where({ tenant_id: TENANT, event_id: eventId })).length === 1, 30_000, 'the service order');
    expect((await call('GET', '/api/v1/customers/CUST-LATE')).status).to.equal(404);
    const created = await call('POST', '/api/v1/customers', { customer_id: 'CUST-LATE', name: 'Late Ltd' });
    expect(created.status).to.equal(201);
    const view = await call('GET', `/api/v1/customers/CUST-LATE?min_position=${encodeURIComponent(created.body.position)}`);
    expect(view.body.service_history).to.deep.equal([{ service_order_id: 'SO-LATE', customer_id: 'CUST-LATE', description: 'Boiler check', created_at: '2026-02-02T08:00:00.000Z' }]);
    const timeline = (await call('GET', '/api/v1/customers/CUST-LATE/timeline?kind=service_order')).body;
    expect(timeline.data.map((e: { reference: string }) => e.reference)).to.deep.equal(['SO-LATE']);
  });

  it('skips its own crm.customer360.profile.updated messages and applies Customer 360 ones', async () => {
    const topic = topics.inbound.CustomerProfileUpdatedEvent.topic;
    expect(topics.published.CustomerProfileUpdatedEvent.topic).to.equal(topic); // the same topic both ways
    expect((await call('POST', '/api/v1/customers', { customer_id: 'CUST-OWN', name: 'Own Corp' })).status).to.equal(201);
    const patched = await call('PATCH', '/api/v1/customers/CUST-OWN', { segment: 'enterprise' });
    expect(patched.status).to.equal(200);
    const ours = ((await call('GET', '/api/v1/customers/CUST-OWN/history')).body.data as { event_type: string; event_id: string }[]).find(
      (e) => e.event_type === 'CustomerProfileUpdatedEvent',
    )!;
    // Our update is on the topic we consume, and the service has read it back.
    await readTopics(service.broker.brokers, [topic], (m) => m.some((x) => x.headers.eventId === ours.event_id), 60_000);
    const inbound = async () => (await service.app.request('GET', '/health', { auth: false })).body.kafka.inbound as { ownSkipped: number; applied: number };
    await waitFor(async () => (await inbound()).ownSkipped >= 1, 30_000, 'our own update to be read back and skipped');

    // Customer 360's own update of the same account, same key (so the same partition, after ours): applied.
    const theirs = await publish('CustomerProfileUpdatedEvent', 'CUST-OWN', {
      customerId: 'CUST-OWN',
      changedFields: ['status'],
      updatedBy: 'c360-steward',
      name: null,
      status: 'ACTIVE',
      segment: null,
      primaryContactId: null,
    });
    await waitFor(async () => (await service.app.database.db('kafka_inbox').where({ tenant_id: TENANT, event_id: theirs })).length === 1, 30_000, 'the Customer 360 update');
    expect(await service.app.database.db('kafka_inbox').where({ tenant_id: TENANT, event_id: ours.event_id })).to.have.length(0);
    expect(await service.app.database.db('customer_account_updates').where({ tenant_id: TENANT, customer_id: 'CUST-OWN' }).select('event_id')).to.deep.equal([{ event_id: theirs }]);
    const view = (await call('GET', '/api/v1/customers/CUST-OWN')).body;
    expect(view.account).to.include({ updated_by: 'c360-steward', status: 'ACTIVE', segment: null });
    expect(view.segment).to.equal('ENTERPRISE'); // our profile, unchanged by the skip
    const profile = (await call('GET', '/api/v1/customers/CUST-OWN/timeline?kind=profile_change')).body.data as { source: string }[];
    expect(profile.map((e) => e.source).sort()).to.deep.equal(['crm', 'crm', 'customer360']);
  });

  it("publishes a customer's segment change as seed 001's update: changedFields [\"segments\"] by the segmentation workflow, once", async () => {
    expect((await call('POST', '/api/v1/customers', { customer_id: 'CUST-SEG', name: 'Small Co', employee_count: 12 })).status).to.equal(201);
    type Entry = { event_id: string; changes: { changed_fields?: string[] } };
    let change: Entry | undefined;
    await waitFor(async () => {
      change = ((await call('GET', '/api/v1/customers/CUST-SEG/history')).body.data as Entry[]).find((e) => e.changes.changed_fields?.includes('segments'));
      return change !== undefined;
    }, 60_000, 'the segment change');
    const topic = topics.published.CustomerProfileUpdatedEvent.topic;
    const messages = await readTopics(service.broker.brokers, [topic], (m) => m.some((x) => x.headers.eventId === change!.event_id), 60_000);
    const ours = messages.filter((x) => x.headers.eventId === change!.event_id);
    expect(ours).to.have.length(1);
    expect(ours[0]!.key).to.equal('CUST-SEG');
    expect(ours[0]!.headers).to.include({ eventType: 'CustomerProfileUpdatedEvent', tenantId: TENANT });
    const decoded = codec.decode('CustomerProfileUpdatedEvent', ours[0]!.value!);
    expect(decoded).to.include({ customerId: 'CUST-SEG', updatedBy: 'system:workflow:segmentation', tenantId: TENANT });
    expect(decoded.changedFields).to.deep.equal(['segments']);
  });
});
