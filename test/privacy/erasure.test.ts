import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { customersProjection } from '../../src/projections/customers.js';
import { leadsProjection } from '../../src/projections/leads.js';
import { opportunitiesProjection } from '../../src/projections/opportunities.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { appPerSuite } from '../support/app.js';
import { serviceStore } from '../support/store.js';

/**
 * Erasure by crypto-shredding (issue 13, DESIGN §13), end to end on the real service: personal
 * data is stored sealed, an erasure destroys the subject's key, and from then on the person's
 * name, email and phone appear in no answer, export, as-of view or replay, while the hash chain
 * still verifies and a second erasure changes nothing.
 */
const PERSON = { first_name: 'Erika', last_name: 'Mustermann', email: 'erika.mustermann@example.org', phone: '+49-30-5550-1234' };
const OTHER = { type: 'technical', name: 'Max Other', email: 'max.other@example.org', phone: '+49-30-5550-9999' };
const SECRETS = [PERSON.first_name, PERSON.last_name, PERSON.email, PERSON.phone];
const compliance = { roles: ['compliance'] as const, userId: 'dpo-1' };
// Subject keys wrapped under a master key, as in production (the KMS seam).
const PRIVACY_MASTER_KEY = randomBytes(32).toString('base64');

const leadBody = (id: string, person = PERSON) => ({
  id,
  source: 'webinar',
  ...person,
  company: 'Beispiel GmbH',
  title: 'VP Engineering',
  industry: 'Technology',
  employee_count: 500,
  annual_revenue: 50000000,
});

const terms = {
  contract_term: 12,
  start_date: '2026-03-01',
  payment_terms: 'net_30',
  billing_frequency: 'monthly',
  products: [{ product_id: 'prod_1', quantity: 1, unit_price: '100.00', discount: '0' }],
  priority: 'normal',
  contacts: [{ type: 'primary', name: `${PERSON.first_name} ${PERSON.last_name}`, email: PERSON.email, phone: PERSON.phone }, OTHER],
};

const leaks = (value: unknown) => SECRETS.filter((s) => JSON.stringify(value).includes(s));

describe('Privacy: erasure by crypto-shredding', function () {
  this.timeout(60_000);
  const suite = appPerSuite({ PRIVACY_MASTER_KEY });
  const call = (method: string, path: string, body?: unknown, identity?: object) => suite.app.request(method, path, { ...(body !== undefined ? { body } : {}), ...(identity ? { identity } : {}) });
  let opportunityId: string;
  let customerId: string;
  let before: { at: string };

  it('stores personal data sealed: the log holds no name, email or phone in the clear, the API shows them', async () => {
    const created = await call('POST', '/api/v1/leads', leadBody('LEAD-E1'));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { rows } = await suite.app.database.db.raw(`select data::text as data from es_events where stream_id like 'lead-%:LEAD-E1'`);
    expect(rows.length).to.be.greaterThan(0);
    expect(leaks(rows), 'plaintext in es_events').to.deep.equal([]);
    const got = await call('GET', `/api/v1/leads/LEAD-E1?min_position=${created.body.position}`);
    expect(got.body).to.include({ first_name: 'Erika', email: PERSON.email, phone: PERSON.phone, personal_data_erased_at: null });

    expect((await call('POST', '/api/v1/leads/LEAD-E1/qualify')).status).to.equal(200);
    const converted = await call('POST', '/api/v1/leads/LEAD-E1/convert', { opportunity_name: 'Beispiel', amount: 1000, expected_close_date: '2026-06-30' });
    expect(converted.status, JSON.stringify(converted.body)).to.equal(201);
    opportunityId = converted.body.opportunity_id;
    customerId = converted.body.customer_id;
    const set = await call('PUT', `/api/v1/opportunities/${opportunityId}/commercial-terms`, terms);
    expect(set.status, JSON.stringify(set.body)).to.equal(200);
    const customer = await call('GET', `/api/v1/customers/${customerId}?min_position=${set.body.position}`);
    expect(customer.body.personal_data).to.include({ email: PERSON.email });
    const all = await suite.app.database.db.raw('select data::text as data from es_events');
    expect(leaks(all.rows), 'plaintext anywhere in es_events').to.deep.equal([]);
    const keys = await suite.app.database.db('privacy_subjects').select('wrapped_by');
    expect(keys.map((k: { wrapped_by: string }) => k.wrapped_by).every((w: string) => /^local-aes-256-gcm:[0-9a-f]{12}$/.test(w))).to.equal(true);
    before = { at: new Date().toISOString() };
  });

  it('a subject access export lists every event about the person, their rows and consents, and redacts the other contact', async () => {
    const res = await call('GET', '/api/v1/privacy/subjects/LEAD-E1/export', undefined, compliance);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const types = res.body.events.map((e: { event_type: string }) => e.event_type);
    expect(types).to.include.members(['LeadCreatedEvent', 'LeadConvertedEvent', 'CustomerProfileCreatedEvent', 'OpportunityCommercialTermsSetEvent']);
    expect(JSON.stringify(res.body)).to.include(PERSON.phone);
    expect(JSON.stringify(res.body), 'another person').not.to.include(OTHER.name);
    expect(res.body.read_models.leads).to.have.length(1);
    expect(res.body.read_models.customers).to.have.length(1);
    expect(res.body.subjects).to.have.length(1);
    expect(res.body.subjects[0].erased_at).to.equal(null);
    const byEmail = await call('POST', '/api/v1/privacy/subjects/search', { email: PERSON.email.toUpperCase() }, compliance);
    expect(byEmail.body.subjects.map((s: { subject_id: string }) => s.subject_id)).to.deep.equal([res.body.subjects[0].subject_id]);
  });

  it('only admins and compliance may erase or export, and a request names exactly one person', async () => {
    const rep = { roles: ['sales_rep'] as const, userId: 'user-200' };
    expect((await call('POST', '/api/v1/privacy/erasures', { lead_id: 'LEAD-E1' }, rep)).status).to.equal(403);
    expect((await call('GET', '/api/v1/privacy/subjects/LEAD-E1/export', undefined, rep)).status).to.equal(403);
    const both = await call('POST', '/api/v1/privacy/erasures', { lead_id: 'LEAD-E1', email: PERSON.email }, compliance);
    expect(both.status).to.equal(400);
    expect(both.body.error.code).to.equal('VALIDATION_ERROR');
    expect((await call('POST', '/api/v1/privacy/erasures', { lead_id: 'NO-SUCH-LEAD' }, compliance)).status).to.equal(404);
    expect((await call('POST', '/api/v1/privacy/erasures', { lead_id: 'LEAD-E1' }, { ...compliance, tenantId: 'tenant-002' })).status).to.equal(404);
  });

  it('erasing the lead erases the person on the lead, the customer made from it and the deal contact; the other contact stays', async () => {
    const res = await call('POST', '/api/v1/privacy/erasures', { lead_id: 'LEAD-E1', reason: 'Art. 17 request #42' }, compliance);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.status).to.equal('ERASED');
    expect(res.body.records).to.deep.include.members([
      { type: 'lead', id: 'LEAD-E1' },
      { type: 'customerProfile', id: customerId },
      { type: 'opportunity', id: opportunityId },
    ]);
    const p = res.body.position;
    const lead = await call('GET', `/api/v1/leads/LEAD-E1?min_position=${p}`);
    expect(lead.body).to.include({ first_name: null, last_name: null, email: null, phone: null, company: 'Beispiel GmbH' });
    expect(lead.body.personal_data_erased_at).to.be.a('string');
    const customer = await call('GET', `/api/v1/customers/${customerId}?min_position=${p}`);
    expect(customer.body.personal_data).to.equal(null);
    expect(customer.body.personal_data_erased_at).to.be.a('string');
    const deal = await call('GET', `/api/v1/opportunities/${opportunityId}?min_position=${p}`);
    expect(deal.body.commercial_terms.contacts[0]).to.deep.include({ type: 'primary', name: null, email: null, phone: null, erased: true });
    expect(deal.body.commercial_terms.contacts[1]).to.deep.include(OTHER);
  });

  it('after the erasure the person appears in no answer, list, history, audit export, as-of view, export or replay', async () => {
    const answers = await Promise.all([
      call('GET', '/api/v1/leads'),
      call('GET', '/api/v1/leads/LEAD-E1/history'),
      call('GET', `/api/v1/leads/LEAD-E1?as_of=${encodeURIComponent(before.at)}`),
      call('GET', `/api/v1/customers/${customerId}?as_of=${encodeURIComponent(before.at)}`),
      call('GET', `/api/v1/customers/${customerId}/history`),
      call('GET', '/api/v1/customers'),
      call('GET', `/api/v1/opportunities/${opportunityId}`),
      call('GET', '/api/v1/audit/events', undefined, compliance),
      call('GET', '/api/v1/audit/state?aggregate_type=lead&aggregate_id=LEAD-E1&as_of_revision=0', undefined, compliance),
      call('GET', '/api/v1/privacy/subjects/LEAD-E1/export', undefined, compliance),
    ]);
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body).slice(0, 300)).to.equal(200);
      expect(leaks(a.body), JSON.stringify(a.body).slice(0, 300)).to.deep.equal([]);
    }
    // Replays: the read models rebuilt from the log come back erased.
    const store = serviceStore(suite.app.database, { masterKey: PRIVACY_MASTER_KEY });
    try {
      for (const projection of [leadsProjection, customersProjection, opportunitiesProjection]) {
        await rebuildProjection({ db: suite.app.database.db, store }, projection);
      }
    } finally {
      await store.close();
    }
    const rows = await Promise.all(['leads', 'customers', 'opportunities'].map((t) => suite.app.database.db(t).select()));
    expect(leaks(rows)).to.deep.equal([]);
    expect(JSON.stringify(rows)).to.include(OTHER.email);
  });

  it('the hash chain still verifies: the log was not rewritten', async () => {
    const res = await call('GET', '/api/v1/audit/verify', undefined, compliance);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.broken, JSON.stringify(res.body)).to.deep.equal([]);
    expect(res.body.verified_events).to.be.greaterThan(10);
  });

  it('a second erasure, by lead or by email, is a no-op, and the person cannot be recorded again', async () => {
    const count = async () => Number((await suite.app.database.db('es_events').count({ n: '*' }))[0]!.n);
    const events = await count();
    const again = await call('POST', '/api/v1/privacy/erasures', { lead_id: 'LEAD-E1' }, compliance);
    expect(again.status, JSON.stringify(again.body)).to.equal(200);
    expect(again.body.status).to.equal('ALREADY_ERASED');
    const byEmail = await call('POST', '/api/v1/privacy/erasures', { email: PERSON.email }, compliance);
    expect(byEmail.status).to.equal(200);
    expect(await count()).to.equal(events);

    const back = await call('POST', '/api/v1/leads', leadBody('LEAD-E2'));
    expect(back.status).to.equal(409);
    expect(back.body.error.details.reason).to.equal('PERSONAL_DATA_ERASED');
    const stranger = await call('POST', '/api/v1/leads', leadBody('LEAD-E3', { ...PERSON, email: 'someone.else@example.org' }));
    expect(stranger.status, 'a different email is a different person').to.equal(201);

    // A deal's other contact, named by the deal and name (any spacing or case): erased alone.
    const contact = await call('POST', '/api/v1/privacy/erasures', { contact: { opportunity_id: opportunityId, name: '  max  OTHER ' } }, compliance);
    expect(contact.status, JSON.stringify(contact.body)).to.equal(201);
    const deal = await call('GET', `/api/v1/opportunities/${opportunityId}?min_position=${contact.body.position}`);
    expect(deal.body.commercial_terms.contacts.map((c: { erased?: boolean }) => c.erased)).to.deep.equal([true, true]);
    expect(JSON.stringify(deal.body)).not.to.include(OTHER.email);
    expect((await call('POST', '/api/v1/privacy/erasures', { contact: { opportunity_id: opportunityId, name: 'Max Other' } }, compliance)).status).to.equal(200);
  });
});

describe('Privacy: erasing a customer contact without an email', function () {
  this.timeout(60_000);
  const suite = appPerSuite();
  const dpo = { roles: ['compliance'] as const, userId: 'dpo-2' };

  it('erases the record, drops stored idempotent answers that showed the person, and keeps the record erased', async () => {
    const body = { id: 'CUST-P1', name: 'Solo Trader', personal_data: { first_name: 'Hanna', last_name: 'Nomail', phone: '+49-40-5550-777' } };
    const headers = { 'idempotency-key': 'create-cust-p1' };
    const created = await suite.app.request('POST', '/api/v1/customers', { body, headers });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const erased = await suite.app.request('POST', '/api/v1/privacy/erasures', { identity: dpo, body: { customer_id: 'CUST-P1' } });
    expect(erased.status, JSON.stringify(erased.body)).to.equal(201);
    expect(erased.body.records).to.deep.equal([{ type: 'customerProfile', id: 'CUST-P1' }]);

    const got = await suite.app.request('GET', `/api/v1/customers/CUST-P1?min_position=${erased.body.position}`);
    expect(got.body.personal_data).to.equal(null);
    const retried = await suite.app.request('POST', '/api/v1/customers', { body, headers });
    expect(JSON.stringify(retried.body)).not.to.match(/Hanna|Nomail|5550-777/);
    // The same person on the same record again (by name: there is no email to tell): refused.
    const again = await suite.app.request('PATCH', '/api/v1/customers/CUST-P1', { body: { personal_data: { first_name: 'Hanna', last_name: 'nomail' } } });
    expect(again.status).to.equal(409);
    expect(again.body.error.details.reason).to.equal('PERSONAL_DATA_ERASED');
    // Other fields of the record still change.
    expect((await suite.app.request('PATCH', '/api/v1/customers/CUST-P1', { body: { name: 'Solo Trader Ltd' } })).status).to.equal(200);
  });
});
