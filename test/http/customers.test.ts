import { actor } from '../support/access.js';
import { expect } from 'chai';
import { customerProfileAggregate } from '../../src/aggregates/customerProfile/index.js';
import { createCommandHandler } from '../../src/commands/handler.js';
import { serviceStore } from '../support/store.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { customersProjection } from '../../src/projections/customers.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { POSITION, createOpportunity, expectError, fieldsOf } from './opportunityHelpers.js';

/**
 * The Customer 360 HTTP API against the real service: seed 001 profile, PATCH, consents with
 * their history, the CUST-OLD → CUST-100 merge (opportunities follow the golden record, both
 * histories show it, the source is closed), tenancy and validation.
 */
const BASE = '/api/v1/customers';

describe('HTTP API: customers (Customer 360)', function () {
  this.timeout(30_000);
  let app: TestApp;
  let store: EventStore;

  before(async function () {
    this.timeout(60_000);
    app = await startTestApp();
    store = serviceStore(app.database);
  });
  after(async function () {
    this.timeout(60_000);
    await store?.close();
    await app?.stop();
  });

  async function create(body: Record<string, unknown>, identity?: { tenantId?: string; userId?: string }) {
    const res = await app.request('POST', BASE, { body, ...(identity ? { identity } : {}) });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res;
  }

  /** The 360 view once the read models hold `position` (read-your-writes). */
  async function view(customerId: string, position: string, identity?: { tenantId?: string }) {
    const res = await app.request('GET', `${BASE}/${customerId}?min_position=${encodeURIComponent(position)}`, identity ? { identity } : {});
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res;
  }

  async function history(customerId: string, identity?: { tenantId?: string }): Promise<any[]> {
    const res = await app.request('GET', `${BASE}/${customerId}/history`, identity ? { identity } : {});
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.data;
  }

  describe('seed 001: CUST-100 Acme Corp', () => {
    it('creates the profile, records CustomerProfileCreatedEvent by the token user and serves the 360 view', async () => {
      const res = await create({ customer_id: 'CUST-100', name: 'Acme Corp', status: 'active', primary_contact_id: 'CONT-10', segment: 'enterprise' }, { userId: 'user-200' });
      expect(res.headers.get('location')).to.equal(`${BASE}/CUST-100`);
      expect(res.headers.get('etag')).to.equal('"0"');
      expect(res.body).to.include({ id: 'CUST-100', name: 'Acme Corp', status: 'ACTIVE', segment: 'ENTERPRISE', primary_contact_id: 'CONT-10', revision: '0' });
      expect(res.body.position).to.match(POSITION);

      const got = await view('CUST-100', res.body.position);
      expect(got.headers.get('etag')).to.equal('"0"');
      expect(got.body).to.include({
        id: 'CUST-100',
        name: 'Acme Corp',
        status: 'ACTIVE',
        segment: 'ENTERPRISE',
        primary_contact_id: 'CONT-10',
        merged_into: null,
        created_by: 'user-200',
        open_opportunity_count: 0,
      });
      expect(got.body.consents).to.deep.equal([]);
      expect(got.body.merged_from).to.deep.equal([]);
      expect(got.body.open_opportunities).to.deep.equal([]);

      const [created] = await history('CUST-100');
      expect(created).to.include({ event_type: 'CustomerProfileCreatedEvent', revision: '0', actor: 'user-200' });
      expect(created.changes).to.deep.equal({
        customer_id: 'CUST-100',
        name: 'Acme Corp',
        status: 'ACTIVE',
        primary_contact_id: 'CONT-10',
        segment: 'ENTERPRISE',
        personal_data: null,
      });
    });

    it('keeps the contact person in the one personal_data sub-object of the event', async () => {
      const res = await create({
        customer_id: 'CUST-PD',
        name: 'Initech',
        personal_data: { first_name: 'John', last_name: 'Doe', email: 'john.doe@example.com', phone: '+1-555-0100', address: { city: 'Austin', postal_code: '73301' } },
      });
      expect(res.body.segment).to.equal('UNSEGMENTED');
      const [created] = await history('CUST-PD');
      const { personal_data: person, ...rest } = created.changes;
      expect(person).to.deep.equal({
        first_name: 'John',
        last_name: 'Doe',
        email: 'john.doe@example.com',
        phone: '+1-555-0100',
        address: { city: 'Austin', postal_code: '73301' },
      });
      expect(JSON.stringify(rest)).not.to.match(/John|Doe|example\.com|555|Austin/);

      // PATCH merges into it: a field replaced, one removed.
      const patched = await app.request('PATCH', `${BASE}/CUST-PD`, { body: { personal_data: { email: 'jd@initech.test', phone: null } } });
      expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
      expect(patched.body.personal_data).to.deep.equal({ first_name: 'John', last_name: 'Doe', email: 'jd@initech.test', address: { city: 'Austin', postal_code: '73301' } });
      const got = await view('CUST-PD', patched.body.position);
      expect(got.body.personal_data).to.deep.equal(patched.body.personal_data);
    });
  });

  describe('PATCH /customers/:id', () => {
    it('records only the fields that really change, with If-Match', async () => {
      const made = await create({ customer_id: 'CUST-P1', name: 'Umbrella', segment: 'SMB' });
      const res = await app.request('PATCH', `${BASE}/CUST-P1`, {
        body: { name: 'Umbrella', segment: 'mid_market', status: 'Inactive' },
        headers: { 'if-match': made.headers.get('etag')! },
        identity: { userId: 'user-300' },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.headers.get('etag')).to.equal('"1"');
      expect(res.body).to.include({ segment: 'MID_MARKET', status: 'INACTIVE', changed: true, revision: '1' });

      const events = await history('CUST-P1');
      expect(events[1]).to.include({ event_type: 'CustomerProfileUpdatedEvent', actor: 'user-300' });
      expect(events[1].changes).to.deep.equal({
        customer_id: 'CUST-P1',
        changed_fields: ['status', 'segment'],
        updated_by: 'user-300',
        status: 'INACTIVE',
        segment: 'MID_MARKET',
      });

      const again = await app.request('PATCH', `${BASE}/CUST-P1`, { body: { segment: 'MID-MARKET' } });
      expect(again.status).to.equal(200);
      expect(again.body).to.include({ changed: false, revision: '1' });
      expect(await history('CUST-P1')).to.have.length(2);

      const stale = await app.request('PATCH', `${BASE}/CUST-P1`, { body: { name: 'Other' }, headers: { 'if-match': '"0"' } });
      expectError(stale, 409, 'CONFLICT');

      const got = await view('CUST-P1', res.body.position);
      expect(got.body).to.include({ segment: 'MID_MARKET', status: 'INACTIVE', updated_by: 'user-300', revision: '1' });
    });
  });

  describe('consents', () => {
    it('EMAIL granted then revoked: current state in the 360 view, both changes in the history', async () => {
      await create({ customer_id: 'CUST-C1', name: 'Hooli' });
      const granted = await app.request('PUT', `${BASE}/CUST-C1/consents/email`, { body: { status: 'granted', source: 'web_form' } });
      expect(granted.status, JSON.stringify(granted.body)).to.equal(200);
      expect(granted.body).to.include({ consent_type: 'EMAIL', status: 'GRANTED', changed: true, revision: '1' });

      const same = await app.request('PUT', `${BASE}/CUST-C1/consents/EMAIL`, { body: { status: 'GRANTED' } });
      expect(same.body).to.include({ status: 'GRANTED', changed: false, revision: '1' });

      const sms = await app.request('PUT', `${BASE}/CUST-C1/consents/SMS`, { body: { status: 'GRANTED' } });
      expect(sms.status).to.equal(200);
      const revoked = await app.request('PUT', `${BASE}/CUST-C1/consents/EMAIL`, { body: { status: 'REVOKED' }, identity: { userId: 'user-dpo' } });
      expect(revoked.body).to.include({ consent_type: 'EMAIL', status: 'REVOKED', changed: true, revision: '3' });

      const got = await view('CUST-C1', revoked.body.position);
      expect(got.body.consents.map((c: any) => [c.consent_type, c.status, c.updated_by])).to.deep.equal([
        ['EMAIL', 'REVOKED', 'user-dpo'],
        ['SMS', 'GRANTED', 'user-200'],
      ]);

      const all = await app.request('GET', `${BASE}/CUST-C1/consents/history`);
      expect(all.status).to.equal(200);
      expect(all.body.data.map((h: any) => [h.consent_type, h.previous_status, h.status, h.actor])).to.deep.equal([
        ['EMAIL', null, 'GRANTED', 'user-200'],
        ['SMS', null, 'GRANTED', 'user-200'],
        ['EMAIL', 'GRANTED', 'REVOKED', 'user-dpo'],
      ]);
      expect(all.body.data[0].source).to.equal('WEB_FORM');

      const email = await app.request('GET', `${BASE}/CUST-C1/consents/history?consent_type=email`);
      expect(email.body.data.map((h: any) => h.status)).to.deep.equal(['GRANTED', 'REVOKED']);
    });

    it('refuses an unknown status, a malformed type and an unknown customer', async () => {
      await create({ customer_id: 'CUST-C2', name: 'Pied Piper' });
      expect(fieldsOf(expectError(await app.request('PUT', `${BASE}/CUST-C2/consents/EMAIL`, { body: { status: 'MAYBE' } }), 400, 'VALIDATION_ERROR'))).to.deep.equal(['status']);
      const badType = expectError(await app.request('PUT', `${BASE}/CUST-C2/consents/e!mail`, { body: { status: 'GRANTED' } }), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(badType)).to.deep.equal(['type']);
      expectError(await app.request('PUT', `${BASE}/CUST-NOPE/consents/EMAIL`, { body: { status: 'GRANTED' } }), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${BASE}/CUST-NOPE/consents/history`), 404, 'NOT_FOUND');
    });
  });

  describe('merge CUST-OLD into CUST-100', () => {
    let mergePosition: string;

    before(async () => {
      await create({ customer_id: 'CUST-M100', name: 'Acme Corp', segment: 'ENTERPRISE' });
      await create({ customer_id: 'CUST-OLD', name: 'ACME Corporation (old)' });
      await app.request('PUT', `${BASE}/CUST-OLD/consents/EMAIL`, { body: { status: 'GRANTED' } });
      await createOpportunity(app, { id: 'OPP-OLD-1', customer_id: 'CUST-OLD', amount: '5000.00' });
      await createOpportunity(app, { id: 'OPP-OLD-2', customer_id: 'CUST-OLD', amount: '7000.00' });
      await createOpportunity(app, { id: 'OPP-NEW-1', customer_id: 'CUST-M100', amount: '120000.00' });
      const res = await app.request('POST', `${BASE}/CUST-M100/merge`, {
        body: { source_customer_id: 'CUST-OLD', reason: 'DUPLICATE' },
        identity: { userId: 'user-steward' },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ id: 'CUST-M100', source_customer_id: 'CUST-OLD', merge_reason: 'DUPLICATE', changed: true });
      expect(res.body.merged_from).to.deep.equal(['CUST-OLD']);
      mergePosition = res.body.position;
    });

    it("lists CUST-OLD's opportunities under CUST-100 in the 360 view", async () => {
      const got = await view('CUST-M100', mergePosition);
      expect(got.body.open_opportunities.map((o: any) => o.id).sort()).to.deep.equal(['OPP-NEW-1', 'OPP-OLD-1', 'OPP-OLD-2']);
      expect(got.body.open_opportunity_count).to.equal(3);
      expect(got.body.merged_from).to.have.length(1);
      expect(got.body.merged_from[0]).to.include({ customer_id: 'CUST-OLD', merge_reason: 'DUPLICATE', merged_by: 'user-steward' });
    });

    it("lists CUST-OLD's opportunities in GET /opportunities?customer_id=CUST-100", async () => {
      await view('CUST-M100', mergePosition);
      const list = await app.request('GET', '/api/v1/opportunities?customer_id=CUST-M100');
      expect(list.status).to.equal(200);
      expect(list.body.data.map((o: any) => o.id).sort()).to.deep.equal(['OPP-NEW-1', 'OPP-OLD-1', 'OPP-OLD-2']);
      expect(list.body.pagination.total).to.equal(3);
      // The deals keep their own customer id: the merge is a view, not a rewrite of their history.
      expect(list.body.data.find((o: any) => o.id === 'OPP-OLD-1').customer_id).to.equal('CUST-OLD');
    });

    it('shows the merge in both histories', async () => {
      const target = await history('CUST-M100');
      expect(target.at(-1)).to.include({ event_type: 'CustomerMergedEvent', actor: 'user-steward' });
      expect(target.at(-1).changes).to.deep.equal({ target_customer_id: 'CUST-M100', source_customer_id: 'CUST-OLD', merge_reason: 'DUPLICATE' });
      const source = await history('CUST-OLD');
      expect(source.at(-1)).to.include({ event_type: 'CustomerMergedIntoEvent', actor: 'user-steward' });
      expect(source.at(-1).changes).to.deep.equal({ source_customer_id: 'CUST-OLD', target_customer_id: 'CUST-M100', merge_reason: 'DUPLICATE' });
      expect(source.at(-1).correlation_id).to.equal(target.at(-1).correlation_id);
    });

    it('serves the source with merged_into, and hides it from lists unless asked', async () => {
      const got = await view('CUST-OLD', mergePosition);
      expect(got.body).to.include({ id: 'CUST-OLD', merged_into: 'CUST-M100', merge_reason: 'DUPLICATE' });
      expect(got.body.open_opportunities).to.deep.equal([]);
      const list = await app.request('GET', `${BASE}?limit=200`);
      expect(list.body.data.map((c: any) => c.id)).not.to.include('CUST-OLD');
      const withMerged = await app.request('GET', `${BASE}?limit=200&include_merged=true`);
      expect(withMerged.body.data.map((c: any) => c.id)).to.include('CUST-OLD');
    });

    it('refuses every further command on CUST-OLD with CONFLICT naming the target', async () => {
      const attempts = [
        app.request('PATCH', `${BASE}/CUST-OLD`, { body: { name: 'Revived' } }),
        app.request('PUT', `${BASE}/CUST-OLD/consents/SMS`, { body: { status: 'GRANTED' } }),
        app.request('POST', `${BASE}/CUST-OLD/merge`, { body: { source_customer_id: 'CUST-100' } }),
      ];
      for (const res of await Promise.all(attempts)) {
        const error = expectError(res, 409, 'CONFLICT');
        expect(error.message).to.contain('CUST-M100');
        expect(error.details).to.include({ merged_into: 'CUST-M100' });
      }
      // Into another target: the source is already merged.
      await create({ customer_id: 'CUST-OTHER', name: 'Other' });
      const other = expectError(await app.request('POST', `${BASE}/CUST-OTHER/merge`, { body: { source_customer_id: 'CUST-OLD' } }), 409, 'CONFLICT');
      expect(other.details).to.include({ merged_into: 'CUST-M100' });
      expect(other.message).to.contain('CUST-M100');
      // Nothing was written by the refusals.
      expect((await history('CUST-OLD')).map((e) => e.event_type)).to.deep.equal([
        'CustomerProfileCreatedEvent',
        'ConsentUpdatedEvent',
        'CustomerMergedIntoEvent',
      ]);
      expect((await history('CUST-OTHER')).map((e) => e.event_type)).to.deep.equal(['CustomerProfileCreatedEvent']);
    });

    it('is idempotent: the same merge again records nothing', async () => {
      const before = await history('CUST-M100');
      const again = await app.request('POST', `${BASE}/CUST-M100/merge`, { body: { source_customer_id: 'CUST-OLD' } });
      expect(again.status, JSON.stringify(again.body)).to.equal(200);
      expect(again.body).to.include({ changed: false, revision: before.at(-1).revision });
      expect(await history('CUST-M100')).to.have.length(before.length);
    });
  });

  describe('merge, more cases', () => {
    it('two opposite merges at once: one wins, the other is refused, never both merged away', async () => {
      for (let round = 0; round < 5; round++) {
        const [a, b] = [`CUST-X${round}`, `CUST-Y${round}`];
        await create({ customer_id: a, name: 'A' });
        await create({ customer_id: b, name: 'B' });
        const [ab, ba] = await Promise.all([
          app.request('POST', `${BASE}/${b}/merge`, { body: { source_customer_id: a } }),
          app.request('POST', `${BASE}/${a}/merge`, { body: { source_customer_id: b } }),
        ]);
        expect([ab.status, ba.status].sort(), JSON.stringify([ab.body, ba.body])).to.deep.equal([200, 409]);
        const merged = [...(await history(a)), ...(await history(b))].filter((e) => e.event_type === 'CustomerMergedIntoEvent');
        expect(merged, `round ${round}`).to.have.length(1);
      }
    });

    it('If-Match applies to the target before the merge; a later write to it does not strand the merge', async () => {
      await create({ customer_id: 'CUST-IT', name: 'Target' });
      await create({ customer_id: 'CUST-IS', name: 'Source' });
      const stale = await app.request('POST', `${BASE}/CUST-IT/merge`, { body: { source_customer_id: 'CUST-IS' }, headers: { 'if-match': '"7"' } });
      expect(stale.status).to.equal(409);
      expect((await history('CUST-IS')).map((e) => e.event_type)).to.deep.equal(['CustomerProfileCreatedEvent']);
      const ok = await app.request('POST', `${BASE}/CUST-IT/merge`, { body: { source_customer_id: 'CUST-IS' }, headers: { 'if-match': '"0"' } });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    });

    it('completes after a crash between marking the source and the target accepting', async () => {
      await create({ customer_id: 'CUST-T1', name: 'Target' });
      await create({ customer_id: 'CUST-S1', name: 'Source' });
      await createOpportunity(app, { id: 'OPP-S1', customer_id: 'CUST-S1' });
      // Step 2 alone, as a crashed request would have left it.
      const execute = createCommandHandler({ store });
      await execute(
        customerProfileAggregate,
        { access: actor('tenant-001', 'user-200'), aggregateId: 'CUST-S1', correlationId: 'crashed' },
        { type: 'MarkMergedInto', targetCustomerId: 'CUST-T1', mergeReason: 'DUPLICATE' },
      );
      const retry = await app.request('POST', `${BASE}/CUST-T1/merge`, { body: { source_customer_id: 'CUST-S1' } });
      expect(retry.status, JSON.stringify(retry.body)).to.equal(200);
      expect(retry.body).to.include({ changed: true });
      expect((await history('CUST-S1')).filter((e) => e.event_type === 'CustomerMergedIntoEvent')).to.have.length(1);
      expect((await history('CUST-T1')).map((e) => e.event_type)).to.deep.equal(['CustomerProfileCreatedEvent', 'CustomerMergedEvent']);
      const got = await view('CUST-T1', retry.body.position);
      expect(got.body.open_opportunities.map((o: any) => o.id)).to.deep.equal(['OPP-S1']);
    });

    it('follows merges transitively: A into B, then B into C puts A’s deals under C', async () => {
      for (const c of ['CUST-A', 'CUST-B', 'CUST-C']) await create({ customer_id: c, name: c });
      await createOpportunity(app, { id: 'OPP-A', customer_id: 'CUST-A' });
      await createOpportunity(app, { id: 'OPP-B', customer_id: 'CUST-B' });
      expect((await app.request('POST', `${BASE}/CUST-B/merge`, { body: { source_customer_id: 'CUST-A' } })).status).to.equal(200);
      const last = await app.request('POST', `${BASE}/CUST-C/merge`, { body: { source_customer_id: 'CUST-B' } });
      expect(last.status, JSON.stringify(last.body)).to.equal(200);
      const got = await view('CUST-C', last.body.position);
      expect(got.body.open_opportunities.map((o: any) => o.id).sort()).to.deep.equal(['OPP-A', 'OPP-B']);
      // A merged source cannot take a merge back the other way.
      expectError(await app.request('POST', `${BASE}/CUST-A/merge`, { body: { source_customer_id: 'CUST-C' } }), 409, 'CONFLICT');
    });

    it('replays with an Idempotency-Key, refuses a stale If-Match before writing anything', async () => {
      const t = await create({ customer_id: 'CUST-T2', name: 'Target' });
      await create({ customer_id: 'CUST-S2', name: 'Source' });
      await app.request('PATCH', `${BASE}/CUST-T2`, { body: { name: 'Target 2' } });
      const stale = await app.request('POST', `${BASE}/CUST-T2/merge`, {
        body: { source_customer_id: 'CUST-S2' },
        headers: { 'if-match': t.headers.get('etag')! },
      });
      expectError(stale, 409, 'CONFLICT');
      expect((await history('CUST-S2')).map((e) => e.event_type)).to.deep.equal(['CustomerProfileCreatedEvent']);

      const headers = { 'idempotency-key': 'merge-s2-into-t2' };
      const first = await app.request('POST', `${BASE}/CUST-T2/merge`, { body: { source_customer_id: 'CUST-S2' }, headers });
      expect(first.status, JSON.stringify(first.body)).to.equal(200);
      const second = await app.request('POST', `${BASE}/CUST-T2/merge`, { body: { source_customer_id: 'CUST-S2' }, headers });
      expect(second.status).to.equal(200);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(second.body).to.deep.equal(first.body);
    });

    it('refuses a merge into itself, an unknown source or target, and a bad body', async () => {
      await create({ customer_id: 'CUST-M1', name: 'M1' });
      const self = expectError(await app.request('POST', `${BASE}/CUST-M1/merge`, { body: { source_customer_id: 'CUST-M1' } }), 400, 'VALIDATION_ERROR');
      expect(self.message).to.match(/itself/);
      expectError(await app.request('POST', `${BASE}/CUST-M1/merge`, { body: { source_customer_id: 'CUST-GHOST' } }), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${BASE}/CUST-GHOST/merge`, { body: { source_customer_id: 'CUST-M1' } }), 404, 'NOT_FOUND');
      expect(fieldsOf(expectError(await app.request('POST', `${BASE}/CUST-M1/merge`, { body: {} }), 400, 'VALIDATION_ERROR'))).to.deep.equal([
        'source_customer_id',
      ]);
      // The refused merges left CUST-M1 untouched.
      expect((await history('CUST-M1')).map((e) => e.event_type)).to.deep.equal(['CustomerProfileCreatedEvent']);
    });
  });

  describe('list', () => {
    it('filters by status and assigned segment (any case) and paginates as seed 004', async () => {
      const tenant = { tenantId: 'tenant-list' };
      for (let i = 1; i <= 5; i++) {
        await create({ customer_id: `L-${i}`, name: `List ${i}`, segment: i % 2 ? 'SMB' : 'ENTERPRISE', status: i === 5 ? 'PROSPECT' : 'ACTIVE' }, tenant);
      }
      const last = await create({ customer_id: 'L-6', name: 'Zeta Widgets', segment: 'SMB' }, tenant);
      const pos = encodeURIComponent(last.body.position);
      const page = await app.request('GET', `${BASE}?assigned_segment=smb&limit=2&offset=0&min_position=${pos}`, { identity: tenant });
      expect(page.status, JSON.stringify(page.body)).to.equal(200);
      expect(page.body.pagination).to.deep.equal({ total: 4, limit: 2, offset: 0, has_more: true });
      expect(page.body.data).to.have.length(2);
      const rest = await app.request('GET', `${BASE}?assigned_segment=SMB&limit=2&offset=2`, { identity: tenant });
      expect(rest.body.pagination).to.deep.equal({ total: 4, limit: 2, offset: 2, has_more: false });
      const ids = [...page.body.data, ...rest.body.data].map((c: any) => c.id).sort();
      expect(ids).to.deep.equal(['L-1', 'L-3', 'L-5', 'L-6']);

      const prospects = await app.request('GET', `${BASE}?status=prospect`, { identity: tenant });
      expect(prospects.body.data.map((c: any) => c.id)).to.deep.equal(['L-5']);
      const named = await app.request('GET', `${BASE}?name=zeta`, { identity: tenant });
      expect(named.body.data.map((c: any) => c.id)).to.deep.equal(['L-6']);

      expect(fieldsOf(expectError(await app.request('GET', `${BASE}?status=GONE`, { identity: tenant }), 400, 'VALIDATION_ERROR'))).to.deep.equal(['status']);
      expectError(await app.request('GET', `${BASE}?limit=0`, { identity: tenant }), 400, 'VALIDATION_ERROR');
    });
  });

  describe('tenancy', () => {
    it('keeps tenants apart: same id in two tenants, no reads, writes or merges across', async () => {
      const a = { tenantId: 'tenant-a' };
      const b = { tenantId: 'tenant-b' };
      const inA = await create({ customer_id: 'CUST-T', name: 'Tenant A corp' }, a);
      await create({ customer_id: 'CUST-ONLY-A', name: 'Only A' }, a);
      const inB = await create({ customer_id: 'CUST-T', name: 'Tenant B corp' }, b);
      expect(inB.headers.get('etag')).to.equal('"0"');

      expect((await view('CUST-T', inA.body.position, a)).body.name).to.equal('Tenant A corp');
      expect((await view('CUST-T', inB.body.position, b)).body.name).to.equal('Tenant B corp');
      expectError(await app.request('GET', `${BASE}/CUST-ONLY-A`, { identity: b }), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${BASE}/CUST-ONLY-A/history`, { identity: b }), 404, 'NOT_FOUND');
      expectError(await app.request('PATCH', `${BASE}/CUST-ONLY-A`, { body: { name: 'Hijack' }, identity: b }), 404, 'NOT_FOUND');
      expectError(await app.request('PUT', `${BASE}/CUST-ONLY-A/consents/EMAIL`, { body: { status: 'GRANTED' }, identity: b }), 404, 'NOT_FOUND');
      // B's CUST-T cannot absorb A's CUST-ONLY-A: it does not exist in B.
      expectError(await app.request('POST', `${BASE}/CUST-T/merge`, { body: { source_customer_id: 'CUST-ONLY-A' }, identity: b }), 404, 'NOT_FOUND');
      const listB = await app.request('GET', BASE, { identity: b });
      expect(listB.body.data.map((c: any) => c.id)).to.deep.equal(['CUST-T']);
      expect((await history('CUST-ONLY-A', a)).map((e) => e.event_type)).to.deep.equal(['CustomerProfileCreatedEvent']);
    });
  });

  describe('validation and errors', () => {
    it('refuses bad create bodies, naming the fields', async () => {
      const cases: [unknown, string[]][] = [
        [{}, ['name']],
        [{ name: 'X', status: 'DELETED' }, ['status']],
        [{ name: 'X', unknown_field: 1 }, ['unknown_field']],
        [{ name: 'X', customer_id: 'bad id!' }, ['customer_id']],
        [{ name: 'X', personal_data: { email: 'not-an-email' } }, ['personal_data.email']],
        [{ name: 'X', personal_data: { shoe_size: 44 } }, ['personal_data.shoe_size']],
        [{ name: '' }, ['name']],
      ];
      for (const [body, fields] of cases) {
        const error = expectError(await app.request('POST', BASE, { body }), 400, 'VALIDATION_ERROR');
        expect(fieldsOf(error), JSON.stringify(body)).to.deep.equal(fields);
      }
      const segment = expectError(await app.request('POST', BASE, { body: { name: 'X', segment: '9 lives!' } }), 400, 'VALIDATION_ERROR');
      expect(segment.details).to.include({ field: 'segment' });
      expectError(await app.request('POST', BASE, { rawBody: '{"name":' }), 400, 'VALIDATION_ERROR');
    });

    it('refuses a duplicate, an empty PATCH, unknown customers and bad ids', async () => {
      await create({ customer_id: 'CUST-DUP', name: 'Dup' });
      expectError(await app.request('POST', BASE, { body: { customer_id: 'CUST-DUP', name: 'Dup again' } }), 409, 'CONFLICT');
      expectError(await app.request('PATCH', `${BASE}/CUST-DUP`, { body: {} }), 400, 'VALIDATION_ERROR');
      expectError(await app.request('PATCH', `${BASE}/CUST-NONE`, { body: { name: 'N' } }), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${BASE}/CUST-NONE`), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${BASE}/CUST-NONE/history`), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${BASE}/bad%20id`), 400, 'VALIDATION_ERROR');
      expectError(await app.request('GET', BASE, { auth: false }), 401, 'UNAUTHORIZED');
    });

    it('generates an id when none is given', async () => {
      const res = await create({ name: 'No id corp' });
      expect(res.body.id).to.match(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('location')).to.equal(`${BASE}/${res.body.id}`);
    });
  });

  describe('read model', () => {
    it('is documented in the OpenAPI document', async () => {
      const doc = await app.request('GET', '/openapi.json', { auth: false });
      expect(doc.status).to.equal(200);
      for (const path of ['/api/v1/customers', '/api/v1/customers/{id}', '/api/v1/customers/{id}/merge', '/api/v1/customers/{id}/consents/{type}', '/api/v1/customers/{id}/consents/history', '/api/v1/customers/{id}/history']) {
        expect(doc.body.paths, path).to.have.property(path);
      }
    });

    it('rebuilds from the log into the same rows', async function () {
      this.timeout(60_000);
      const last = await create({ customer_id: 'CUST-RB', name: 'Rebuild' });
      await view('CUST-RB', last.body.position);
      const snapshot = async () => ({
        customers: await app.database.db('customers').orderBy(['tenant_id', 'customer_id']),
        consents: await app.database.db('customer_consents').orderBy(['tenant_id', 'customer_id', 'consent_type']),
        merges: await app.database.db('customer_merges').orderBy(['tenant_id', 'source_customer_id']),
      });
      const before = await snapshot();
      expect(before.merges.length).to.be.greaterThan(0);
      await rebuildProjection({ db: app.database.db, store }, customersProjection);
      expect(await snapshot()).to.deep.equal(before);
    });
  });
});
