import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { type AvroRecord, avroCodec } from '../../../src/bridges/kafka/avro.js';
import type { ConsumedEventType } from '../../../src/bridges/kafka/topics.js';
import { orderFollowUpTaskId } from '../../../src/commands/orders.js';
import { type ReadMessage, kafkaService, produce, readTopics, waitFor } from './support.js';

/**
 * Seed 003's offers and orders events, published as those contexts would, in the running
 * service: each effect shows through the API, a redelivery has one effect, and what the domain
 * refuses goes to the dead-letter topic with its reason while the next message is processed.
 */
const codec = avroCodec();
const TENANT = 'tenant-offers';
const T0 = Date.parse('2026-02-02T10:00:00Z');

interface History {
  data: { event_type: string; actor: string; causation_id: string | null; changes: Record<string, unknown> }[];
}

describe('Kafka bridge: offers and orders events in the running service (real broker)', function () {
  this.timeout(120_000);
  const service = kafkaService();
  const topics = service.topics;

  const call = async (method: string, path: string, body?: unknown, tenantId = TENANT) => service.app.request(method, path, { body, identity: { tenantId, userId: 'user-200' } });
  const history = async (id: string, tenantId = TENANT) => ((await call('GET', `/api/v1/opportunities/${id}/history`, undefined, tenantId)).body as History).data;
  const createDeal = async (id: string, stage: string, tenantId = TENANT) =>
    expect((await call('POST', '/api/v1/opportunities', { id, customer_id: `CUST-${id}`, amount: '1000.00', currency: 'USD', stage }, tenantId)).status).to.equal(201);

  const record = (fields: Record<string, unknown>, tenantId = TENANT): AvroRecord & { eventId: string } => ({ eventId: randomUUID(), timestamp: T0, tenantId, ...fields });
  const offer = (offerId: string, opportunityId: string, tenantId = TENANT) =>
    record({ offerId, opportunityId, customerId: `CUST-${opportunityId}`, totalAmount: '950.00', currency: 'USD' }, tenantId);
  const approved = (offerId: string, opportunityId: string, tenantId = TENANT) => ({ ...offer(offerId, opportunityId, tenantId), approvedAt: T0 });
  const rejected = (offerId: string, opportunityId: string, probability: number | null = null) => ({
    ...offer(offerId, opportunityId),
    reason: 'Price too high',
    rejectedAt: T0,
    probability,
  });
  const order = (orderId: string, fields: Record<string, unknown>) =>
    record({ orderId, totalAmount: '1000.00', currency: 'USD', createdAt: T0, opportunityId: null, customerId: null, salesRepId: null, followUpRequired: true, ...fields });

  /** As the producing context would: Avro value, eventType and eventId headers, keyed. */
  async function publish(type: ConsumedEventType, key: string, ...records: AvroRecord[]): Promise<void> {
    await produce(
      service.broker.brokers,
      topics.inbound[type].topic,
      records.map((r) => ({ key, value: codec.encodeRecord(type, r), headers: { eventType: type, eventId: String(r.eventId) } })),
    );
  }
  const inInbox = async (r: AvroRecord, tenantId = TENANT) => (await service.app.database.db('kafka_inbox').where({ tenant_id: tenantId, event_id: r.eventId })).length === 1;
  const deadLetterOf = async (r: AvroRecord): Promise<ReadMessage> => {
    const found = await readTopics(service.broker.brokers, [topics.dlq.topic], (m) => m.some((x) => x.headers.eventId === r.eventId), 60_000);
    return found.find((x) => x.headers.eventId === r.eventId)!;
  };

  it('OfferApproved moves the deal to NEGOTIATION as the system actor, once, however often it is delivered', async () => {
    await createDeal('OPP-OA', 'PROPOSAL');
    const event = approved('OF-1', 'OPP-OA');
    await publish('OfferApprovedEvent', 'OPP-OA', event, event);
    await waitFor(async () => (await call('GET', '/api/v1/opportunities/OPP-OA')).body.stage === 'NEGOTIATION', 30_000, 'the stage change');
    // A second approval (another offer of the deal already in negotiation) changes nothing either.
    const again = approved('OF-2', 'OPP-OA');
    await publish('OfferApprovedEvent', 'OPP-OA', again);
    await waitFor(() => inInbox(again), 30_000, 'the second approval');
    const moves = (await history('OPP-OA')).filter((e) => e.event_type === 'OpportunityStageChangedEvent');
    expect(moves).to.have.length(1);
    expect(moves[0]).to.deep.include({ actor: 'system:kafka-inbound', causation_id: event.eventId });
    expect(moves[0]!.changes).to.include({ from_stage: 'PROPOSAL', to_stage: 'NEGOTIATION', probability: 75 });
  });

  it('OfferApproved for a closed deal or a move the stage configuration forbids goes to the DLQ with the reason; the next message is processed', async () => {
    const strict = 'tenant-offers-strict';
    const stages = ['prospecting', 'qualification', 'proposal', 'negotiation'].map((code, i) => ({ code, name: code, order: i + 1, probability: 10 * (i + 1), kind: 'open' }));
    const configured = await call(
      'PUT',
      '/api/v1/pipeline/stages',
      {
        stages: [...stages, { code: 'closed_won', name: 'Won', order: 5, probability: 100, kind: 'won' }, { code: 'closed_lost', name: 'Lost', order: 6, probability: 0, kind: 'lost' }],
        transitions: { prospecting: ['qualification'] },
      },
      strict,
    );
    expect(configured.status).to.equal(200);
    await createDeal('OPP-STRICT', 'PROSPECTING', strict);
    await createDeal('OPP-CLOSED', 'PROPOSAL');
    expect((await call('POST', '/api/v1/opportunities/OPP-CLOSED/close', { outcome: 'lost', reason: 'Budget' })).status).to.equal(200);

    const forbidden = approved('OF-3', 'OPP-STRICT', strict);
    const closed = approved('OF-4', 'OPP-CLOSED');
    const garbage = { eventId: randomUUID() };
    await createDeal('OPP-NEXT', 'QUALIFICATION');
    const next = approved('OF-5', 'OPP-NEXT');
    // One key, so one partition: the valid message comes strictly after the bad ones.
    await publish('OfferApprovedEvent', 'K-1', forbidden, closed);
    await produce(service.broker.brokers, topics.inbound.OfferApprovedEvent.topic, [
      { key: 'K-1', value: Buffer.from('not Avro'), headers: { eventType: 'OfferApprovedEvent', eventId: garbage.eventId } },
    ]);
    await publish('OfferApprovedEvent', 'K-1', next);
    await waitFor(async () => (await call('GET', '/api/v1/opportunities/OPP-NEXT')).body.stage === 'NEGOTIATION', 30_000, 'the next message');

    const forbiddenDead = await deadLetterOf(forbidden);
    expect(forbiddenDead.headers['error-type']).to.equal('rejected');
    expect(forbiddenDead.headers['error-message']).to.match(/VALIDATION_ERROR: Invalid opportunity stage transition/);
    expect(forbiddenDead.headers['error-message']).to.match(/"current_stage":"PROSPECTING".*"allowed_stages":\["QUALIFICATION"\]/);
    const closedDead = await deadLetterOf(closed);
    expect(closedDead.headers['error-message']).to.match(/CONFLICT: Opportunity is closed \(lost\)/);
    expect((await deadLetterOf(garbage as AvroRecord)).headers['error-type']).to.equal('decode-error');
    expect((await call('GET', '/api/v1/opportunities/OPP-STRICT', undefined, strict)).body.stage).to.equal('PROSPECTING');
    expect(await inInbox(forbidden, strict)).to.equal(false);
  });

  it('OfferRejected lowers the probability (halved, or as Offers says), once per offer, audited with its actor', async () => {
    await createDeal('OPP-OR', 'NEGOTIATION');
    const first = rejected('OF-10', 'OPP-OR');
    await publish('OfferRejectedEvent', 'OPP-OR', first, first);
    await waitFor(async () => (await call('GET', '/api/v1/opportunities/OPP-OR')).body.probability === 37, 30_000, 'the halved probability');
    // The same offer again under another event id (a producer's retry): the decider still records it once.
    await publish('OfferRejectedEvent', 'OPP-OR', { ...first, eventId: randomUUID() });
    const second = rejected('OF-11', 'OPP-OR', 20);
    await publish('OfferRejectedEvent', 'OPP-OR', second);
    await waitFor(async () => (await call('GET', '/api/v1/opportunities/OPP-OR')).body.probability === 20, 30_000, "Offers' probability");
    const rejections = (await history('OPP-OR')).filter((e) => e.event_type === 'OpportunityOfferRejectedEvent');
    expect(rejections.map((e) => e.changes)).to.deep.equal([
      { opportunity_id: 'OPP-OR', offer_id: 'OF-10', reason: 'Price too high', from_probability: 75, probability: 37 },
      { opportunity_id: 'OPP-OR', offer_id: 'OF-11', reason: 'Price too high', from_probability: 37, probability: 20 },
    ]);
    expect(rejections.map((e) => [e.actor, e.causation_id])).to.deep.equal([
      ['system:kafka-inbound', first.eventId],
      ['system:kafka-inbound', second.eventId],
    ]);
  });

  it("OrderCreated closes the deal as won with its order id and gives the owner one follow-up task, however often it is delivered", async () => {
    await createDeal('OPP-ORD', 'NEGOTIATION');
    const created = order('ORD-1', { opportunityId: 'OPP-ORD', customerId: 'CUST-OPP-ORD' });
    await publish('OrderCreatedEvent', 'OPP-ORD', created, created);
    await publish('OrderCreatedEvent', 'OPP-ORD', { ...created, eventId: randomUUID() }); // Orders sent it twice
    const tasks = async () => (await call('GET', '/api/v1/tasks?related_type=opportunity&related_id=OPP-ORD')).body.data as Record<string, unknown>[];
    await waitFor(async () => (await call('GET', '/api/v1/opportunities/OPP-ORD')).body.status === 'won' && (await tasks()).length > 0, 30_000, 'the win and its task');
    await waitFor(async () => (await service.app.database.db('kafka_inbox').where({ tenant_id: TENANT, event_type: 'OrderCreatedEvent' })).length === 2, 30_000, 'both deliveries');
    const list = await tasks();
    expect(list).to.have.length(1);
    expect(list[0]).to.include({ id: orderFollowUpTaskId('ORD-1'), assigned_to: 'user-200', status: 'open', type: 'follow_up' });
    expect(list[0]!.related_to).to.deep.equal({ type: 'opportunity', id: 'OPP-ORD' });
    const wins = (await history('OPP-ORD')).filter((e) => e.event_type === 'OpportunityClosedWonEvent');
    expect(wins).to.have.length(1);
    expect(wins[0]!.changes).to.include({ order_id: 'ORD-1', to_stage: 'CLOSED_WON' });
    expect(wins[0]!.actor).to.equal('system:kafka-inbound');
  });

  it('OrderCreated without a deal gives a follow-up on the customer; with neither deal nor customer, or no user to assign, it is dead-lettered', async () => {
    const customerOnly = order('ORD-2', { customerId: 'CUST-NEW', salesRepId: 'user-300' });
    const neither = order('ORD-3', {});
    const systemRep = order('ORD-4', { customerId: 'CUST-NEW', salesRepId: 'system:kafka-inbound' });
    await publish('OrderCreatedEvent', 'ORD-2', customerOnly);
    await publish('OrderCreatedEvent', 'ORD-3', neither, systemRep);
    const tasks = async () =>
      (await service.app.request('GET', '/api/v1/tasks?related_type=customer&related_id=CUST-NEW', { identity: { tenantId: TENANT, userId: 'user-300', roles: ['sales_rep'] } })).body
        .data as Record<string, unknown>[];
    await waitFor(async () => (await tasks()).length === 1, 30_000, "the customer's follow-up");
    expect((await tasks())[0]).to.include({ id: orderFollowUpTaskId('ORD-2'), assigned_to: 'user-300' });
    const dead = await deadLetterOf(neither);
    expect(dead.headers['error-type']).to.equal('rejected');
    expect(dead.headers['error-message']).to.match(/ORD-3 names neither an opportunity nor a customer/);
    expect((await deadLetterOf(systemRep)).headers['error-message']).to.match(/"system:kafka-inbound" is not a user id/);
  });
});
