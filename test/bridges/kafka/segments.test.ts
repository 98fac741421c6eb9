import { expect } from 'chai';
import type { BrokerHandle } from '../../../scripts/kafka/broker.js';
import { avroCodec } from '../../../src/bridges/kafka/avro.js';
import { resolveTopics } from '../../../src/bridges/kafka/topics.js';
import { type TestApp, startTestApp } from '../../support/app.js';
import { readTopics, testBroker, testTopicOverrides, waitFor } from './support.js';

/**
 * A customer's segment change leaves the service as seed 001's CustomerProfileUpdatedEvent on
 * crm.customer360.profile.updated: changedFields ["segments"], updatedBy the segmentation
 * workflow, keyed by the customer (real broker).
 */
const overrides = testTopicOverrides();
const topics = resolveTopics(overrides);
const TENANT = 'tenant-kafka-seg';

describe('Kafka: segment changes on crm.customer360.profile.updated (real broker)', function () {
  this.timeout(120_000);
  let broker: BrokerHandle;
  let app: TestApp;
  const identity = { tenantId: TENANT, userId: 'user-200' };

  before(async function () {
    this.timeout(180_000);
    broker = await testBroker();
    app = await startTestApp({ KAFKA_BROKERS: broker.brokers, ...overrides });
  });
  after(async function () {
    this.timeout(60_000);
    await app?.stop();
    await broker?.stop();
  });

  it('publishes the change with changedFields, once', async () => {
    expect((await app.request('POST', '/api/v1/customers', { body: { customer_id: 'CUST-SEG', name: 'Small Co', employee_count: 12 }, identity })).status).to.equal(201);
    type Entry = { event_type: string; event_id: string; changes: { changed_fields?: string[] } };
    let change: Entry | undefined;
    await waitFor(async () => {
      const history = (await app.request('GET', '/api/v1/customers/CUST-SEG/history', { identity })).body.data as Entry[];
      change = history.find((e) => e.changes.changed_fields?.includes('segments'));
      return change !== undefined;
    }, 60_000, 'the segment change');
    const topic = topics.published.CustomerProfileUpdatedEvent.topic;
    const messages = await readTopics(broker.brokers, [topic], (m) => m.some((x) => x.headers.eventId === change!.event_id), 60_000);
    const ours = messages.filter((x) => x.headers.eventId === change!.event_id);
    expect(ours).to.have.length(1);
    expect(ours[0]!.key).to.equal('CUST-SEG');
    expect(ours[0]!.headers).to.include({ eventType: 'CustomerProfileUpdatedEvent', tenantId: TENANT });
    const decoded = avroCodec().decode('CustomerProfileUpdatedEvent', ours[0]!.value!);
    expect(decoded).to.include({ customerId: 'CUST-SEG', updatedBy: 'system:workflow:segmentation', tenantId: TENANT });
    expect(decoded.changedFields).to.deep.equal(['segments']);
  });
});
