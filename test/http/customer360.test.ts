import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { InboundContext } from '../../src/bridges/kafka/inboundHandler.js';
import { createInboundHandlers } from '../../src/bridges/kafka/inboundHandlers.js';
import type { ConsumedRecords } from '../../src/bridges/kafka/records.js';
import type { ConsumedEventType } from '../../src/bridges/kafka/topics.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { createOpportunity, expectError, fieldsOf } from './opportunityHelpers.js';

/**
 * Customer 360 complete (issue 11, item 3, without activities and tasks): the 360 view and the
 * timeline show what the consumed events of other contexts wrote. The events go through the
 * bridge's real inbound handlers, in a transaction as the inbound loop runs them; the Kafka
 * path itself is covered with a real broker in test/bridges/kafka/service.test.ts.
 */
const BASE = '/api/v1/customers';
const TENANT = 'tenant-001';
const handlers = createInboundHandlers();

describe('HTTP API: Customer 360 view and timeline', function () {
  this.timeout(30_000);
  let app: TestApp;

  before(async function () {
    this.timeout(60_000);
    app = await startTestApp();
  });
  after(async function () {
    this.timeout(60_000);
    await app?.stop();
  });

  /** Applies a consumed event exactly as the inbound loop does (inbox row and effect, one transaction). */
  async function consume<K extends ConsumedEventType>(type: K, at: string, fields: Omit<ConsumedRecords[K], 'eventId' | 'timestamp' | 'tenantId'>, tenantId = TENANT) {
    const eventId = randomUUID();
    const record = { eventId, timestamp: Date.parse(at), tenantId, ...fields } as unknown as ConsumedRecords[K];
    const ctx: InboundContext = { eventType: type, eventId, tenantId, occurredAt: new Date(at), topic: 'test', partition: 0, offset: '0', headers: {} };
    await app.database.db.transaction(async (trx) => {
      await trx('kafka_inbox').insert({ event_id: eventId, event_type: type, topic: 'test', partition: 0, offset: 0, tenant_id: tenantId });
      await (handlers[type] as (t: typeof trx, r: ConsumedRecords[K], c: InboundContext) => Promise<void>)(trx, record, ctx);
    });
    return eventId;
  }

  async function create(body: Record<string, unknown>, identity?: { tenantId?: string }) {
    const res = await app.request('POST', BASE, { body, ...(identity ? { identity } : {}) });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.position as string;
  }

  const get = (path: string, identity?: { tenantId?: string; userId?: string; roles?: ('sales_rep' | 'sales_manager' | 'admin' | 'compliance')[] }) =>
    app.request('GET', path, identity ? { identity } : {});

  describe('events about a customer we do not hold yet', () => {
    before(async () => {
      await consume('ServiceOrderCreatedEvent', '2026-02-02T09:00:00Z', { serviceOrderId: 'SO-1', customerId: 'CUST-EARLY', description: 'Install', createdAt: Date.parse('2026-02-01T08:00:00Z') });
      await consume('ServiceOrderCreatedEvent', '2026-02-03T09:00:00Z', { serviceOrderId: 'SO-2', customerId: 'CUST-EARLY', description: 'Onsite repair', createdAt: Date.parse('2026-02-03T08:30:00Z') });
      await consume('ContractActivatedEvent', '2026-02-02T10:00:00Z', {
        contractId: 'CON-1',
        customerId: 'CUST-EARLY',
        productId: 'PRD-SUPPORT',
        entitlement: 'PREMIUM_SUPPORT',
        startDate: '2026-02-01',
        endDate: null,
      });
      await consume('ContractActivatedEvent', '2020-01-01T10:00:00Z', {
        contractId: 'CON-OLD',
        customerId: 'CUST-EARLY',
        productId: 'PRD-BASIC',
        entitlement: 'BASIC_SUPPORT',
        startDate: '2019-01-01',
        endDate: '2019-12-31',
      });
      await consume('CustomerProfileUpdatedEvent', '2026-02-02T11:00:00Z', {
        customerId: 'CUST-EARLY',
        changedFields: ['segment'],
        updatedBy: 'c360-user-1',
        name: null,
        status: null,
        segment: 'SMB',
        primaryContactId: null,
      });
      await consume('CustomerProfileUpdatedEvent', '2026-02-02T12:00:00Z', {
        customerId: 'CUST-EARLY',
        changedFields: ['name', 'status'],
        updatedBy: 'c360-user-2',
        name: 'Early Bird Ltd',
        status: 'ACTIVE',
        segment: null,
        primaryContactId: null,
      });
      await consume('CreditLimitExceededEvent', '2026-02-02T13:00:00Z', { customerId: 'CUST-EARLY', creditLimit: '99999999999999.99', exposure: '100000000000000.00', currency: 'USD' });
      // Another tenant's event about the same id never shows.
      await consume('ServiceOrderCreatedEvent', '2026-02-04T09:00:00Z', { serviceOrderId: 'SO-X', customerId: 'CUST-EARLY', description: 'Other tenant', createdAt: Date.parse('2026-02-04T08:00:00Z') }, 'tenant-002');
    });

    it('keeps them, answers 404 while the profile is absent, and shows them once it exists', async () => {
      expect(await app.database.db('customer_service_history').where({ tenant_id: TENANT, customer_id: 'CUST-EARLY' })).to.have.length(2);
      expectError(await get(`${BASE}/CUST-EARLY`), 404, 'NOT_FOUND');
      expectError(await get(`${BASE}/CUST-EARLY/timeline`), 404, 'NOT_FOUND');

      const position = await create({ customer_id: 'CUST-EARLY', name: 'Early Bird' });
      const res = await get(`${BASE}/CUST-EARLY?min_position=${encodeURIComponent(position)}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const v = res.body;
      expect(v.name).to.equal('Early Bird'); // our profile; the synced account data sits beside it
      expect(v.service_history).to.deep.equal([
        { service_order_id: 'SO-2', customer_id: 'CUST-EARLY', description: 'Onsite repair', created_at: '2026-02-03T08:30:00.000Z' },
        { service_order_id: 'SO-1', customer_id: 'CUST-EARLY', description: 'Install', created_at: '2026-02-01T08:00:00.000Z' },
      ]);
      expect(v.service_history_count).to.equal(2);
      expect(v.entitlements).to.deep.equal([
        {
          contract_id: 'CON-1',
          customer_id: 'CUST-EARLY',
          product_id: 'PRD-SUPPORT',
          entitlement: 'PREMIUM_SUPPORT',
          start_date: '2026-02-01',
          end_date: null,
          activated_at: '2026-02-02T10:00:00.000Z',
          active: true,
        },
        {
          contract_id: 'CON-OLD',
          customer_id: 'CUST-EARLY',
          product_id: 'PRD-BASIC',
          entitlement: 'BASIC_SUPPORT',
          start_date: '2019-01-01',
          end_date: '2019-12-31',
          activated_at: '2020-01-01T10:00:00.000Z',
          active: false,
        },
      ]);
      expect(v.entitlement_count).to.equal(2);
      // Each synced update set only what it changed; the latest one's fields and author.
      expect(v.account).to.deep.equal({
        name: 'Early Bird Ltd',
        status: 'ACTIVE',
        segment: 'SMB',
        primary_contact_id: null,
        changed_fields: ['name', 'status'],
        updated_by: 'c360-user-2',
        updated_at: '2026-02-02T12:00:00.000Z',
      });
      // Money exact, as strings: no float would keep these digits.
      expect(v.credit).to.deep.equal({ blocked: true, since: '2026-02-02T13:00:00.000Z', credit_limit: '99999999999999.99', exposure: '100000000000000.00', currency: 'USD' });
    });

    it('puts them on the timeline, newest first, with the profile’s own changes', async () => {
      const res = await get(`${BASE}/CUST-EARLY/timeline`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const data = res.body.data as any[];
      const times = data.map((e) => Date.parse(e.occurred_at));
      expect(times, 'newest first').to.deep.equal([...times].sort((a, b) => b - a));
      const consumed = data.filter((e) => e.source !== 'crm').map((e) => [e.kind, e.reference, e.occurred_at]);
      expect(consumed).to.deep.equal([
        ['service_order', 'SO-2', '2026-02-03T08:30:00.000Z'],
        ['profile_change', 'CUST-EARLY', '2026-02-02T12:00:00.000Z'],
        ['profile_change', 'CUST-EARLY', '2026-02-02T11:00:00.000Z'],
        ['contract_activation', 'CON-1', '2026-02-02T10:00:00.000Z'],
        ['service_order', 'SO-1', '2026-02-01T08:00:00.000Z'],
        ['contract_activation', 'CON-OLD', '2020-01-01T10:00:00.000Z'],
      ]);
      const synced = data.find((e) => e.source === 'customer360' && e.details.actor === 'c360-user-2');
      expect(synced.details).to.include({ event_type: 'CustomerProfileUpdatedEvent', name: 'Early Bird Ltd', status: 'ACTIVE', segment: null });
      expect(synced.details.changed_fields).to.deep.equal(['name', 'status']);
      const ours = data.filter((e) => e.source === 'crm');
      expect(ours.map((e) => [e.kind, e.details.event_type, e.details.actor])).to.deep.equal([['profile_change', 'CustomerProfileCreatedEvent', 'user-200']]);
      expect(res.body.pagination).to.deep.equal({ total: 7, limit: 50, offset: 0, has_more: false });
      expect(data.some((e) => e.reference === 'SO-X')).to.equal(false);
    });
  });

  describe('opportunities and stage changes, within the access policy', () => {
    let position: string;
    before(async () => {
      await create({ customer_id: 'CUST-T', name: 'Timeline Inc' });
      await createOpportunity(app, { id: 'OPP-T-A', customer_id: 'CUST-T', amount: '1000.10', stage: 'QUALIFICATION', owner_id: 'rep-a' });
      await createOpportunity(app, { id: 'OPP-T-B', customer_id: 'CUST-T', amount: '2000.20', stage: 'QUALIFICATION', owner_id: 'rep-b' });
      const moved = await app.request('PUT', '/api/v1/opportunities/OPP-T-A/stage', { body: { stage: 'PROPOSAL' } });
      expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
      const patched = await app.request('PATCH', `${BASE}/CUST-T`, { body: { segment: 'enterprise' }, identity: { userId: 'user-300' } });
      expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
      // The last write: reads that pass it see every entry above (the timeline also shows the PATCH).
      position = patched.body.position ?? patched.headers.get('x-event-position');
      expect(position, 'the PATCH answers its position').to.be.a('string');
      await consume('ServiceOrderCreatedEvent', new Date().toISOString(), { serviceOrderId: 'SO-T', customerId: 'CUST-T', description: 'Check', createdAt: Date.now() + 60_000 });
    });

    it('shows an admin every open deal and every stage change, with exact amounts', async () => {
      const v = (await get(`${BASE}/CUST-T?min_position=${encodeURIComponent(position)}`)).body;
      expect(v.open_opportunities.map((o: any) => [o.id, o.amount])).to.have.deep.members([
        ['OPP-T-A', '1000.10'],
        ['OPP-T-B', '2000.20'],
      ]);
      const t = await get(`${BASE}/CUST-T/timeline?kind=stage_change&min_position=${encodeURIComponent(position)}`);
      expect(t.status, JSON.stringify(t.body)).to.equal(200);
      const moves = (t.body.data as any[]).map((e) => [e.reference, e.details.from_stage, e.details.to_stage]);
      expect(moves).to.have.deep.members([
        ['OPP-T-A', null, 'QUALIFICATION'],
        ['OPP-T-A', 'QUALIFICATION', 'PROPOSAL'],
        ['OPP-T-B', null, 'QUALIFICATION'],
      ]);
      expect(moves[0]).to.deep.equal(['OPP-T-A', 'QUALIFICATION', 'PROPOSAL']); // the latest
      expect(t.body.data.every((e: any) => e.kind === 'stage_change')).to.equal(true);
    });

    it('shows a rep only its own deals and their stage changes; the account and its service history to all', async () => {
      const rep = { userId: 'rep-a', roles: ['sales_rep' as const] };
      const v = (await get(`${BASE}/CUST-T?min_position=${encodeURIComponent(position)}`, rep)).body;
      expect(v.open_opportunities.map((o: any) => o.id)).to.deep.equal(['OPP-T-A']);
      expect(v.open_opportunity_count).to.equal(1);
      expect(v.service_history.map((s: any) => s.service_order_id)).to.deep.equal(['SO-T']);
      const t = (await get(`${BASE}/CUST-T/timeline`, rep)).body;
      expect(t.data.filter((e: any) => e.kind === 'stage_change').map((e: any) => e.reference)).to.deep.equal(['OPP-T-A', 'OPP-T-A']);
      expect(JSON.stringify(t)).to.not.include('OPP-T-B');
      const other = (await get(`${BASE}/CUST-T/timeline?kind=stage_change`, { userId: 'rep-c', roles: ['sales_rep'] })).body;
      expect(other.data).to.deep.equal([]);
      expect(other.pagination.total).to.equal(0);
    });

    it('pages as seed 004 and filters by kind', async () => {
      const all = (await get(`${BASE}/CUST-T/timeline?min_position=${encodeURIComponent(position)}`)).body;
      // 3 stage visits, 1 service order, created + updated on our own stream.
      expect(all.pagination.total).to.equal(6);
      expect(all.data[0]).to.include({ kind: 'service_order', reference: 'SO-T' }); // dated a minute ahead
      const seen: unknown[] = [];
      for (let offset = 0; ; offset += 4) {
        const page = (await get(`${BASE}/CUST-T/timeline?limit=4&offset=${offset}`)).body;
        expect(page.pagination).to.include({ total: 6, limit: 4, offset });
        expect(page.pagination.has_more).to.equal(offset + 4 < 6);
        seen.push(...page.data);
        if (!page.pagination.has_more) break;
      }
      expect(seen).to.deep.equal(all.data);

      const profile = (await get(`${BASE}/CUST-T/timeline?kind=profile_change`)).body;
      expect(profile.data, JSON.stringify(profile)).to.be.an('array');
      expect(profile.data.map((e: any) => e.details.event_type)).to.deep.equal(['CustomerProfileUpdatedEvent', 'CustomerProfileCreatedEvent']);
      expect(profile.data[0].details).to.include({ segment: 'ENTERPRISE', actor: 'user-300' });
      expect(profile.data[0].details.changed_fields).to.deep.equal(['segment']);
      for (const kind of ['stage_change', 'service_order', 'contract_activation', 'profile_change']) {
        const one = await get(`${BASE}/CUST-T/timeline?kind=${kind.toUpperCase()}`);
        expect(one.status, JSON.stringify(one.body)).to.equal(200);
        expect(one.body.data.every((e: any) => e.kind === kind), kind).to.equal(true);
      }
      const two = (await get(`${BASE}/CUST-T/timeline?kind=service_order,%20profile_change`)).body;
      expect(two.pagination.total).to.equal(3);
    });

    it('refuses bad queries with the seed 004 envelope, never a 500', async () => {
      expect(fieldsOf(expectError(await get(`${BASE}/CUST-T/timeline?kind=meeting`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['kind']);
      expect(fieldsOf(expectError(await get(`${BASE}/CUST-T/timeline?kind=,`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['kind']);
      expect(fieldsOf(expectError(await get(`${BASE}/CUST-T/timeline?limit=0`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['limit']);
      expect(fieldsOf(expectError(await get(`${BASE}/CUST-T/timeline?offset=-1`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['offset']);
      expect(fieldsOf(expectError(await get(`${BASE}/CUST-T/timeline?limit=abc`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['limit']);
      expectError(await get(`${BASE}/CUST-NOPE/timeline`), 404, 'NOT_FOUND');
      expectError(await get(`${BASE}/CUST-T/timeline`, { tenantId: 'tenant-002' }), 404, 'NOT_FOUND');
    });

    it('is documented in the OpenAPI document', async () => {
      const doc = await app.request('GET', '/openapi.json', { auth: false });
      expect(doc.body.paths).to.have.property('/api/v1/customers/{id}/timeline');
      const schema = JSON.stringify(doc.body);
      for (const field of ['service_history', 'entitlements', 'account', 'credit']) expect(schema).to.include(`"${field}"`);
    });
  });
});
