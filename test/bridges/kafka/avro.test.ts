import { DATA_SUBJECT_EVENT_TYPES } from '../../../src/aggregates/dataSubject/events.js';
import { SEGMENTATION_EVENT_TYPES } from '../../../src/aggregates/segmentation/events.js';
import { isJsonConsumed } from '../../../src/bridges/kafka/jsonConsumed.js';
import { STAGE_TASK_TEMPLATE_EVENT_TYPES } from '../../../src/aggregates/stageTaskTemplate/events.js';
import { ACTIVITY_EVENT_TYPES } from '../../../src/aggregates/activity/events.js';
import { TASK_EVENT_TYPES } from '../../../src/aggregates/task/events.js';
import { API_KEY_EVENT_TYPES } from '../../../src/aggregates/apiKey/events.js';
import { TEAM_EVENT_TYPES } from '../../../src/aggregates/team/events.js';
import { TERRITORY_EVENT_TYPES } from '../../../src/aggregates/territory/events.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro, { type Schema } from 'avsc';
import { expect } from 'chai';
import { parse as parseLossless } from 'lossless-json';
import { CUSTOMER_PROFILE_EVENT_TYPES } from '../../../src/aggregates/customerProfile/events.js';
import { FORECAST_EVENT_TYPES } from '../../../src/aggregates/forecast/events.js';
import { LEAD_EVENT_TYPES } from '../../../src/aggregates/lead/events.js';
import { OPPORTUNITY_EVENT_TYPES } from '../../../src/aggregates/opportunity/events.js';
import { PIPELINE_STAGE_EVENT_TYPES } from '../../../src/aggregates/pipelineStage/events.js';
import { avroTypeOptions, avroCodec, defaultSchemaDir } from '../../../src/bridges/kafka/avro.js';
import { DecimalType, bigIntToBytes, bytesToBigInt } from '../../../src/bridges/kafka/decimal.js';
import { RECORD_FIELDS } from '../../../src/bridges/kafka/records.js';
import {
  CONSUMED_EVENT_TYPES,
  INBOUND_TOPICS,
  PUBLISHED_EVENT_TYPES,
  PUBLISHED_TOPICS,
  UNPUBLISHED_EVENT_TYPES,
  resolveTopics,
  topicEnvName,
} from '../../../src/bridges/kafka/topics.js';
import { SAMPLE_PAYLOADS, storedEvent } from './fixtures.js';
import { SEED_000_OPPORTUNITY_CREATED, SEED_SCHEMAS, SEED_TOPICS } from './seeds.js';

const codec = avroCodec();
const decimalType = () => avro.Type.forSchema({ type: 'bytes', logicalType: 'decimal', precision: 18, scale: 2 } as Schema, avroTypeOptions());

describe('Kafka bridge: Avro schemas and topics', () => {
  describe('contract with the seeds', () => {
    it('publishes exactly the topics of seeds 000/001 with their partition counts, plus the erasure topic (issue 13)', () => {
      const ours = PUBLISHED_EVENT_TYPES.map((t) => [PUBLISHED_TOPICS[t].topic, PUBLISHED_TOPICS[t].partitions]);
      expect(ours).to.have.deep.members([...SEED_TOPICS.map(([t, p]) => [t, p]), ['crm.privacy.subject.erased', 3]]);
    });

    it('keeps the seed Avro schemas verbatim in schemas/', () => {
      for (const seed of SEED_SCHEMAS) {
        const name = (JSON.parse(seed) as { name: string }).name;
        const file = readFileSync(path.join(defaultSchemaDir(), `${name}.avsc`), 'utf8');
        expect(file.trim(), name).to.equal(seed.trim());
      }
    });

    it('gives every event type the app can emit a schema and a topic, or says it is not published', () => {
      const emitted: readonly string[] = [
        ...OPPORTUNITY_EVENT_TYPES,
        ...CUSTOMER_PROFILE_EVENT_TYPES,
        ...FORECAST_EVENT_TYPES,
        ...LEAD_EVENT_TYPES,
        ...PIPELINE_STAGE_EVENT_TYPES,
        ...TEAM_EVENT_TYPES,
        ...API_KEY_EVENT_TYPES,
        ...TERRITORY_EVENT_TYPES,
        ...ACTIVITY_EVENT_TYPES,
        ...TASK_EVENT_TYPES,
        ...SEGMENTATION_EVENT_TYPES,
        ...STAGE_TASK_TEMPLATE_EVENT_TYPES,
        ...DATA_SUBJECT_EVENT_TYPES,
      ];
      for (const type of emitted) {
        if (UNPUBLISHED_EVENT_TYPES.includes(type)) {
          expect(PUBLISHED_TOPICS, type).not.to.have.property(type);
          continue;
        }
        expect(PUBLISHED_TOPICS, `${type}: neither published nor listed as unpublished`).to.have.property(type);
        expect(codec.has(type), `schema for ${type}`).to.equal(true);
      }
      // And the published list holds nothing the app cannot emit.
      for (const type of PUBLISHED_EVENT_TYPES) expect(emitted, type).to.include(type);
      for (const type of [...PUBLISHED_EVENT_TYPES, ...CONSUMED_EVENT_TYPES.filter((t) => !isJsonConsumed(t))]) {
        expect(codec.has(type), `schema for ${type}`).to.equal(true);
      }
    });

    it('keeps the typed inbound records in step with the consumed schemas', () => {
      for (const type of CONSUMED_EVENT_TYPES.filter((t) => !isJsonConsumed(t))) {
        expect(codec.fields(type).map((f) => f.name), type).to.deep.equal(RECORD_FIELDS[type]);
      }
    });

    it('encodes the seeds\' field-level timestamp-millis as a plain long of epoch millis', () => {
      for (const type of codec.eventTypes) {
        expect(codec.fields(type).find((f) => f.name === 'timestamp')?.typeName, type).to.equal('long');
      }
      const buf = codec.encode('OpportunityCreatedEvent', storedEvent('OpportunityCreatedEvent', SAMPLE_PAYLOADS.OpportunityCreatedEvent));
      // A reader that knows nothing of logical types sees the same long.
      const value = codec.decode('OpportunityCreatedEvent', buf, {
        type: 'record',
        name: 'OpportunityCreatedEvent',
        namespace: 'com.erp.crm.pipeline.events',
        fields: [
          { name: 'eventId', type: 'string' },
          { name: 'timestamp', type: 'long' },
        ],
      });
      expect(value.timestamp).to.equal(Date.parse('2026-02-02T11:10:00Z'));
    });

    it('takes eventId, timestamp and tenantId from the envelope even when the payload carries its own', () => {
      const payload = { ...SAMPLE_PAYLOADS.OpportunityCreatedEvent, eventId: 'from-payload', timestamp: 1, tenantId: 'payload-tenant' };
      const event = storedEvent('OpportunityCreatedEvent', payload, { eventId: 'from-envelope', tenantId: 'tenant-009' });
      const decoded = codec.decode('OpportunityCreatedEvent', codec.encode('OpportunityCreatedEvent', event));
      expect(decoded).to.include({ eventId: 'from-envelope', timestamp: Date.parse('2026-02-02T11:10:00Z'), tenantId: 'tenant-009' });
      // The same value as a record already in Avro shape gives the same bytes.
      const { eventId: _e, timestamp: _t, tenantId: _n, ...rest } = payload;
      const record = { ...rest, eventId: 'from-envelope', timestamp: Date.parse('2026-02-02T11:10:00Z'), tenantId: 'tenant-009' };
      expect(codec.encode('OpportunityCreatedEvent', event).equals(codec.encodeRecord('OpportunityCreatedEvent', record))).to.equal(true);
    });

    it('decodes seed 000\'s OpportunityCreated with the seed schema as reader into the seed\'s fields', () => {
      // lossless-json keeps the seed's "120000.00" as written instead of a float.
      const seed = parseLossless(SEED_000_OPPORTUNITY_CREATED, null, (n: string) => n) as {
        eventId: string;
        timestamp: string;
        aggregateId: string;
        tenantId: string;
        payload: Record<string, unknown>;
      };
      const buf = codec.encode(
        'OpportunityCreatedEvent',
        storedEvent('OpportunityCreatedEvent', seed.payload, {
          eventId: seed.eventId,
          timestamp: seed.timestamp,
          aggregateId: seed.aggregateId,
          tenantId: seed.tenantId,
        }),
      );
      const reader = JSON.parse(SEED_SCHEMAS[0]!) as Schema;
      expect(codec.decode('OpportunityCreatedEvent', buf, reader)).to.deep.equal({
        eventId: 'evt-4201',
        timestamp: Date.parse('2026-02-02T11:10:00Z'),
        tenantId: 'tenant-001',
        opportunityId: 'OPP-100',
        customerId: 'CUST-100',
        amount: '120000.00',
        currency: 'USD',
        stage: 'QUALIFICATION',
      });
    });
  });

  describe('encode/decode', () => {
    it('round-trips every published event type from a stored event', () => {
      for (const type of PUBLISHED_EVENT_TYPES) {
        const event = storedEvent(type, SAMPLE_PAYLOADS[type]);
        const decoded = codec.decode(type, codec.encode(type, event));
        expect(decoded.eventId).to.equal(event.eventId);
        expect(decoded.tenantId).to.equal('tenant-001');
        expect(decoded.timestamp).to.equal(Date.parse(event.timestamp));
        for (const field of codec.fields(type)) {
          if (['eventId', 'timestamp', 'tenantId'].includes(field.name)) continue;
          // Optional fields absent from a payload travel as their default, null.
          const expected = (SAMPLE_PAYLOADS[type] as Record<string, unknown>)[field.name] ?? null;
          expect(decoded[field.name], `${type}.${field.name}`).to.deep.equal(expected);
        }
      }
    });

    it('keeps amounts exact, as strings, never floats', () => {
      for (const amount of ['0.01', '99999999999999.99', '120000.00', '0.00', '9999999999999999.99', '0.10', '1234567.89']) {
        const event = storedEvent('OpportunityClosedWonEvent', { ...SAMPLE_PAYLOADS.OpportunityClosedWonEvent, amount });
        const decoded = codec.decode('OpportunityClosedWonEvent', codec.encode('OpportunityClosedWonEvent', event));
        expect(decoded.amount).to.equal(amount);
      }
      const forecast = codec.decode(
        'ForecastSnapshotCreatedEvent',
        codec.encode('ForecastSnapshotCreatedEvent', storedEvent('ForecastSnapshotCreatedEvent', SAMPLE_PAYLOADS.ForecastSnapshotCreatedEvent)),
      );
      expect(forecast.amount).to.equal('99999999999999.99');
      expect((forecast.breakdown as { totalAmount: string }[])[1]!.totalAmount).to.equal('0.01');
    });

    it('writes decimals as Avro does: big-endian two\'s complement of the unscaled value', () => {
      const type = decimalType();
      const hex = (v: string) => type.toBuffer(v).subarray(1).toString('hex'); // skip the length varint
      expect(hex('120000.00')).to.equal('00b71b00'); // 12000000 = 0xB71B00, sign byte kept
      expect(hex('1.27')).to.equal('7f');
      expect(hex('1.28')).to.equal('0080');
      expect(hex('-1.28')).to.equal('80');
      expect(hex('-1.29')).to.equal('ff7f');
      expect(hex('0.00')).to.equal('00');
      for (const v of [0n, 1n, -1n, 127n, 128n, -128n, -129n, 999999999999999999n, -999999999999999999n]) {
        expect(bytesToBigInt(bigIntToBytes(v))).to.equal(v);
      }
    });

    it('refuses amounts it cannot carry exactly', () => {
      const type = decimalType();
      expect(() => type.toBuffer('1.234')).to.throw(/decimal places/);
      expect(() => type.toBuffer('10000000000000000.00')).to.throw(/exceeds/);
      expect(() => type.toBuffer(120000)).to.throw(/string/);
      expect(() => type.toBuffer('12e3')).to.throw(/not a decimal/);
      expect(type.isValid(120000.5)).to.equal(false);
      expect(type).to.be.instanceOf(DecimalType);
    });

    it('reports which field does not fit the schema', () => {
      const bad = storedEvent('OpportunityCreatedEvent', { ...SAMPLE_PAYLOADS.OpportunityCreatedEvent, amount: 12.5, stage: undefined });
      expect(() => codec.encode('OpportunityCreatedEvent', bad)).to.throw(/amount=12\.5.*stage=missing/);
    });

    it('rejects bytes that are not one value of the schema, saying what is wrong with them', () => {
      // avsc itself trips over these with a JS TypeError ("Cannot read properties of undefined").
      expect(() => codec.decode('QuoteCreatedEvent', Buffer.from('definitely not avro'))).to.throw(
        'value is not a valid Avro encoding of com.erp.sales.events.QuoteCreatedEvent: its 19 bytes end inside field eventId (truncated, or not Avro at all)',
      );
      const good = codec.encodeRecord('CreditLimitRestoredEvent', { eventId: 'e-1', timestamp: 1, tenantId: 't', customerId: 'c' });
      expect(() => codec.decode('CreditLimitRestoredEvent', good.subarray(0, good.length - 1))).to.throw(
        /valid Avro encoding of com\.erp\.finance\.ar\.events\.CreditLimitRestoredEvent: its \d+ bytes end inside field customerId/,
      );
      expect(() => codec.decode('CreditLimitRestoredEvent', Buffer.concat([good, Buffer.from([0])]))).to.throw(/1 bytes of trailing data/);
    });
  });

  describe('topic configuration', () => {
    it('derives KAFKA_TOPIC_* names and applies overrides', () => {
      expect(topicEnvName('OpportunityCreatedEvent')).to.equal('KAFKA_TOPIC_OPPORTUNITY_CREATED');
      expect(topicEnvName('CreditLimitExceededEvent')).to.equal('KAFKA_TOPIC_CREDIT_LIMIT_EXCEEDED');
      const t = resolveTopics({ KAFKA_TOPIC_QUOTE_CREATED: 'acme.sales.quote.created', KAFKA_TOPIC_DLQ: 'acme.dlq', OTHER: 'x' });
      expect(t.inbound.QuoteCreatedEvent).to.deep.equal({ topic: 'acme.sales.quote.created', partitions: INBOUND_TOPICS.QuoteCreatedEvent.partitions });
      expect(t.dlq.topic).to.equal('acme.dlq');
      expect(t.published.OpportunityCreatedEvent).to.deep.equal(PUBLISHED_TOPICS.OpportunityCreatedEvent);
    });

    it('rejects unknown KAFKA_TOPIC_* settings and invalid names', () => {
      expect(() => resolveTopics({ KAFKA_TOPIC_OPORTUNITY_CREATED: 'x' })).to.throw(/unknown Kafka topic setting/);
      expect(() => resolveTopics({ KAFKA_TOPIC_OPPORTUNITY_CREATED: 'bad topic' })).to.throw(/not a valid Kafka topic name/);
    });
  });
});
