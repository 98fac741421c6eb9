import { expect } from 'chai';
import { conversionIds } from '../../src/aggregates/lead/index.js';
import { comparePositions, parsePosition } from '../../src/eventstore/port.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { POSITION, expectError, fieldsOf } from './opportunityHelpers.js';

/**
 * The Lead API end to end (real service, PostgreSQL event store, projections): capture and
 * scoring, qualification, assignment, conversion (including two conversions at once), the read
 * model's list, and tenant isolation.
 */
const LEADS = '/api/v1/leads';
const OTHER_TENANT = { tenantId: 'tenant-002', userId: 'user-900' };

/** Seed 004's create body, verbatim but for the id. */
const seedBody = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  source: 'webinar',
  first_name: 'John',
  last_name: 'Doe',
  email: 'john.doe@example.com',
  phone: '+1-555-0100',
  company: 'Acme Corp',
  title: 'VP Engineering',
  industry: 'Technology',
  employee_count: 500,
  annual_revenue: 50000000,
  score: 85,
  metadata: { campaign_id: 'CAMP-1', utm_source: 'linkedin' },
  ...extra,
});

/** Seed 004's convert body. */
const convertBody = (extra: Record<string, unknown> = {}) => ({
  opportunity_name: 'Acme Corp - Enterprise Plan',
  amount: 120000.0,
  expected_close_date: '2026-04-30',
  stage: 'discovery',
  ...extra,
});

describe('HTTP API: leads', function () {
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

  async function createLead(body: Record<string, unknown>, identity?: { tenantId?: string; userId?: string }) {
    const res = await app.request('POST', LEADS, { body, ...(identity ? { identity } : {}) });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res;
  }

  async function qualifiedLead(id: string, identity?: { tenantId?: string; userId?: string }) {
    await createLead(seedBody(id), identity);
    const q = await app.request('POST', `${LEADS}/${id}/qualify`, identity ? { identity } : {});
    expect(q.status, JSON.stringify(q.body)).to.equal(200);
    expect(q.body.status).to.equal('qualified');
    return q;
  }

  async function history(path: string, identity?: { tenantId?: string }) {
    const res = await app.request('GET', `${path}/history`, identity ? { identity } : {});
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.data as { event_type: string; actor: string; changes: any; causation_id: string | null; event_id: string }[];
  }

  /** What the conversion wrote on the new profile: the segmentation workflow may add the segments the lead's firmographics put it in. */
  const conversionWrote = async (customerId: string) =>
    (await history(`/api/v1/customers/${customerId}`)).filter((e) => e.actor !== 'system:workflow:segmentation');

  describe('POST /leads (capture and score)', () => {
    it("seed 004's example: 201 {id, status new, assigned_to, territory_id, created_at} with the rubric score 75", async () => {
      const res = await createLead(seedBody('LEAD-SEED'));
      expect(res.body).to.include({ id: 'LEAD-SEED', status: 'new', assigned_to: 'user-200', territory_id: null, score: 75, marketing_score: 85 });
      expect(res.body.score_breakdown).to.deep.equal({ company_size: 20, industry: 15, budget: 15, timeline: 5, decision_maker: 20 });
      expect(Number.isNaN(Date.parse(res.body.created_at))).to.equal(false);
      expect(res.body.position).to.match(POSITION);
      expect(res.headers.get('etag')).to.equal('"1"'); // created, then scored
      expect(res.headers.get('location')).to.equal(`${LEADS}/LEAD-SEED`);

      const got = await app.request('GET', `${LEADS}/LEAD-SEED?min_position=${res.body.position}`);
      expect(got.status).to.equal(200);
      expect(got.body).to.include({
        id: 'LEAD-SEED',
        status: 'new',
        first_name: 'John',
        last_name: 'Doe',
        email: 'john.doe@example.com',
        company: 'Acme Corp',
        score: 75,
        annual_revenue: '50000000.00',
        currency: 'USD',
        source: 'webinar',
      });
      expect(got.body.assigned_to).to.deep.equal({ id: 'user-200', name: null });
      expect(got.body.metadata).to.deep.equal({ campaign_id: 'CAMP-1', utm_source: 'linkedin' });
      expect(got.headers.get('etag')).to.equal('"1"');
    });

    it('GET /leads/:id/score: the score, its breakdown and basis, and whether it qualifies', async () => {
      const c = await createLead(seedBody('LEAD-SCORE'));
      const res = await app.request('GET', `${LEADS}/LEAD-SCORE/score?min_position=${c.body.position}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ lead_id: 'LEAD-SCORE', score: 75, qualifies: true, qualification_threshold: 70, rubric_version: 1, marketing_score: 85, status: 'new' });
      expect(res.body.breakdown).to.deep.equal({ company_size: 20, industry: 15, budget: 15, timeline: 5, decision_maker: 20 });
      expect(res.body.basis).to.include({ decision_maker: 'VP', company_size: '200-999 employees' });
    });

    it('a timeline in the metadata counts: this_quarter gives 82', async () => {
      const res = await createLead(seedBody('LEAD-TL', { metadata: { timeline: 'this_quarter' } }));
      expect(res.body.score).to.equal(82);
    });

    it('the creator owns the lead unless assigned_to is given; territory_id is kept', async () => {
      const res = await createLead(seedBody('LEAD-OWNED', { assigned_to: 'user-7', territory_id: 'T-WEST' }));
      expect(res.body).to.include({ assigned_to: 'user-7', territory_id: 'T-WEST' });
    });

    it('personal data sits in one personalData sub-object of the event', async () => {
      await createLead(seedBody('LEAD-PII'));
      const [createdEvent] = await history(`${LEADS}/LEAD-PII`);
      const { personal_data: personal, ...rest } = createdEvent!.changes;
      expect(personal).to.deep.equal({ first_name: 'John', last_name: 'Doe', email: 'john.doe@example.com', phone: '+1-555-0100' });
      expect(JSON.stringify(rest)).not.to.match(/John|Doe|555-0100/);
      expect(rest).to.include({ company_name: 'Acme Corp', title: 'VP Engineering' });
    });

    it('400 VALIDATION_ERROR naming each bad field', async () => {
      const res = await app.request('POST', LEADS, {
        body: { source: 'webinar', email: 'not-an-email', score: 101, employee_count: 1.5, annual_revenue: 1.005, colour: 'red' },
      });
      const err = expectError(res, 400, 'VALIDATION_ERROR');
      expect(fieldsOf(err)).to.include.members(['email', 'score', 'employee_count', 'annual_revenue', 'colour']);
      const missing = expectError(await app.request('POST', LEADS, { body: { first_name: 'x' } }), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(missing)).to.include.members(['source', 'email']);
    });

    it('409 CONFLICT for a lead id already used; 401 without a token', async () => {
      await createLead(seedBody('LEAD-DUP'));
      expectError(await app.request('POST', LEADS, { body: seedBody('LEAD-DUP') }), 409, 'CONFLICT');
      expectError(await app.request('POST', LEADS, { body: seedBody('LEAD-ANON'), auth: false }), 401, 'UNAUTHORIZED');
    });
  });

  describe('POST /leads/:id/qualify', () => {
    it('score >= 70: qualified', async () => {
      await createLead(seedBody('LEAD-Q1'));
      const res = await app.request('POST', `${LEADS}/LEAD-Q1/qualify`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ id: 'LEAD-Q1', status: 'qualified', qualified: true, score: 75 });
      const types = (await history(`${LEADS}/LEAD-Q1`)).map((e) => e.event_type);
      expect(types).to.deep.equal(['LeadCreatedEvent', 'LeadScoredEvent', 'LeadQualifiedEvent']);
    });

    it('below 70: unqualified; a timeline learnt later re-scores and qualifies', async () => {
      await createLead(seedBody('LEAD-Q2', { title: 'Engineering Manager' })); // 65
      const low = await app.request('POST', `${LEADS}/LEAD-Q2/qualify`, { body: {} });
      expect(low.body).to.include({ status: 'unqualified', qualified: false, score: 65 });
      const up = await app.request('POST', `${LEADS}/LEAD-Q2/qualify`, { body: { timeline: 'This Quarter', notes: 'budget approved' } });
      expect(up.status, JSON.stringify(up.body)).to.equal(200);
      expect(up.body).to.include({ status: 'qualified', score: 72 });
      expect(up.body.score_breakdown.timeline).to.equal(12);
    });

    it('errors: unknown timeline 400, unknown lead 404, stale If-Match 409', async () => {
      await createLead(seedBody('LEAD-Q3'));
      const bad = expectError(await app.request('POST', `${LEADS}/LEAD-Q3/qualify`, { body: { timeline: 'someday' } }), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(bad)).to.include('timeline');
      expectError(await app.request('POST', `${LEADS}/NO-SUCH-LEAD/qualify`), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${LEADS}/LEAD-Q3/qualify`, { headers: { 'if-match': '"0"' } }), 409, 'CONFLICT');
    });
  });

  describe('POST /territories/assign', () => {
    it("seed 004's response {lead_id, territory_id, assigned_to, assigned_at}; owner defaults to the caller", async () => {
      await createLead(seedBody('LEAD-A1'), { userId: 'user-creator' });
      const res = await app.request('POST', '/api/v1/territories/assign', {
        body: { lead_id: 'LEAD-A1', territory_id: 'T-EMEA', reason: 'Geographic match' },
        identity: { userId: 'user-manager' },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ lead_id: 'LEAD-A1', territory_id: 'T-EMEA', assigned_to: 'user-manager' });
      expect(Number.isNaN(Date.parse(res.body.assigned_at))).to.equal(false);

      const given = await app.request('POST', '/api/v1/territories/assign', {
        body: { lead_id: 'LEAD-A1', territory_id: 'T-EMEA', reason: 'Account owner', assigned_to: 'user-rep' },
      });
      expect(given.body).to.include({ assigned_to: 'user-rep', territory_id: 'T-EMEA' });
      const events = await history(`${LEADS}/LEAD-A1`);
      const assigned = events.filter((e) => e.event_type === 'LeadAssignedEvent');
      expect(assigned.map((e) => e.actor)).to.deep.equal(['user-manager', 'user-200']);
      expect(assigned[1]!.changes).to.include({ owner_id: 'user-rep', previous_owner_id: 'user-manager', reason: 'Account owner' });

      const got = await app.request('GET', `${LEADS}/LEAD-A1?min_position=${given.body.position}`);
      expect(got.body.assigned_to).to.deep.equal({ id: 'user-rep', name: null });
      expect(got.body.territory_id).to.equal('T-EMEA');
    });

    it('errors: missing reason 400, unknown lead 404', async () => {
      const bad = expectError(await app.request('POST', '/api/v1/territories/assign', { body: { lead_id: 'X', territory_id: 'T' } }), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(bad)).to.include('reason');
      expectError(
        await app.request('POST', '/api/v1/territories/assign', { body: { lead_id: 'NO-SUCH-LEAD', territory_id: 'T', reason: 'r' } }),
        404,
        'NOT_FOUND',
      );
    });
  });

  describe('POST /leads/:id/convert', () => {
    it('201 {opportunity_id, lead_id, customer_id, status, converted_at}: one opportunity, one new customer profile', async () => {
      await qualifiedLead('LEAD-C1');
      const ids = conversionIds('LEAD-C1');
      const res = await app.request('POST', `${LEADS}/LEAD-C1/convert`, { body: convertBody() });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({
        opportunity_id: ids.opportunityId,
        lead_id: 'LEAD-C1',
        customer_id: ids.customerId,
        customer_created: true,
        status: 'converted',
      });
      expect(Number.isNaN(Date.parse(res.body.converted_at))).to.equal(false);
      expect(res.headers.get('location')).to.equal(`/api/v1/opportunities/${ids.opportunityId}`);

      const opp = await app.request('GET', `/api/v1/opportunities/${ids.opportunityId}?min_position=${res.body.position}`);
      expect(opp.status, JSON.stringify(opp.body)).to.equal(200);
      expect(opp.body).to.include({
        name: 'Acme Corp - Enterprise Plan',
        lead_id: 'LEAD-C1',
        customer_id: ids.customerId,
        stage: 'PROSPECTING', // seed 004's "discovery"
        amount: '120000.00',
        currency: 'USD',
        owner_id: 'user-200',
        expected_close_date: '2026-04-30',
      });

      const customer = await conversionWrote(ids.customerId);
      expect(customer.map((e) => e.event_type)).to.deep.equal(['CustomerProfileCreatedEvent']);
      expect(customer[0]!.changes).to.include({ name: 'Acme Corp', status: 'PROSPECT', industry: 'Technology', employee_count: 500, annual_revenue: '50000000.00' });
      expect(customer[0]!.changes.personal_data).to.include({ first_name: 'John', email: 'john.doe@example.com' });

      // The audit trail links the creations to the conversion that caused them.
      const lead = await history(`${LEADS}/LEAD-C1`);
      const convertedEvent = lead.find((e) => e.event_type === 'LeadConvertedEvent')!;
      expect(customer[0]!.causation_id).to.equal(convertedEvent.event_id);
      const oppHistory = await history(`/api/v1/opportunities/${ids.opportunityId}`);
      expect(oppHistory[0]!.causation_id).to.equal(convertedEvent.event_id);

      const got = await app.request('GET', `${LEADS}/LEAD-C1?min_position=${res.body.position}`);
      expect(got.body).to.include({ status: 'converted', opportunity_id: ids.opportunityId, customer_id: ids.customerId });
    });

    it('a second convert answers 200 with the same outcome and writes nothing', async () => {
      await qualifiedLead('LEAD-C2');
      const first = await app.request('POST', `${LEADS}/LEAD-C2/convert`, { body: convertBody() });
      expect(first.status).to.equal(201);
      const second = await app.request('POST', `${LEADS}/LEAD-C2/convert`, { body: convertBody({ amount: 999 }) });
      expect(second.status, JSON.stringify(second.body)).to.equal(200);
      const strip = ({ position: _p, ...rest }: Record<string, unknown>) => rest;
      expect(strip(second.body)).to.deep.equal(strip(first.body));
      expect((await history(`${LEADS}/LEAD-C2`)).filter((e) => e.event_type === 'LeadConvertedEvent')).to.have.length(1);
      const opp = await history(`/api/v1/opportunities/${first.body.opportunity_id}`);
      expect(opp).to.have.length(1);
      expect(opp[0]!.changes.amount).to.equal('120000.00'); // the first request's
    });

    it('ACCEPTANCE: two concurrent conversions yield one conversion, one opportunity, one profile', async () => {
      await qualifiedLead('LEAD-RACE');
      const responses = await Promise.all([
        app.request('POST', `${LEADS}/LEAD-RACE/convert`, { body: convertBody() }),
        app.request('POST', `${LEADS}/LEAD-RACE/convert`, { body: convertBody() }),
      ]);
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses, JSON.stringify(responses.map((r) => r.body))).to.deep.equal([200, 201]);
      const [a, b] = responses.map((r) => r.body);
      for (const k of ['opportunity_id', 'customer_id', 'converted_at', 'lead_id', 'status']) expect(a[k], k).to.equal(b[k]);

      const lead = await history(`${LEADS}/LEAD-RACE`);
      expect(lead.filter((e) => e.event_type === 'LeadConvertedEvent')).to.have.length(1);

      const opp = await history(`/api/v1/opportunities/${a.opportunity_id}`);
      expect(opp.map((e) => e.event_type)).to.deep.equal(['OpportunityCreatedEvent']);
      const latest = [a.position, b.position].sort((x, y) => comparePositions(parsePosition(x)!, parsePosition(y)!)).at(-1);
      const byCustomer = await app.request('GET', `/api/v1/opportunities?customer_id=${a.customer_id}&min_position=${latest}`);
      expect(byCustomer.status).to.equal(200);
      expect(byCustomer.body.data.map((o: { id: string }) => o.id)).to.deep.equal([a.opportunity_id]);
      expect(byCustomer.body.data[0].lead_id).to.equal('LEAD-RACE');

      const customer = await conversionWrote(a.customer_id);
      expect(customer.map((e) => e.event_type)).to.deep.equal(['CustomerProfileCreatedEvent']);
    });

    it('ten concurrent conversions: still exactly one of each, one 201 and nine 200', async () => {
      await qualifiedLead('LEAD-RACE10');
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => app.request('POST', `${LEADS}/LEAD-RACE10/convert`, { body: convertBody() })),
      );
      expect(responses.filter((r) => r.status === 201), JSON.stringify(responses.map((r) => r.body))).to.have.length(1);
      expect(responses.filter((r) => r.status === 200)).to.have.length(9);
      expect(new Set(responses.map((r) => r.body.opportunity_id)).size).to.equal(1);
      const ids = conversionIds('LEAD-RACE10');
      expect(await history(`/api/v1/opportunities/${ids.opportunityId}`)).to.have.length(1);
      expect(await conversionWrote(ids.customerId)).to.have.length(1);
      expect((await history(`${LEADS}/LEAD-RACE10`)).filter((e) => e.event_type === 'LeadConvertedEvent')).to.have.length(1);
    });

    it('customer_id attaches to an existing customer: no profile is created', async () => {
      await qualifiedLead('LEAD-C3');
      const res = await app.request('POST', `${LEADS}/LEAD-C3/convert`, { body: convertBody({ customer_id: 'CUST-EXISTING' }) });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ customer_id: 'CUST-EXISTING', customer_created: false });
      expectError(await app.request('GET', `/api/v1/customers/${conversionIds('LEAD-C3').customerId}/history`), 404, 'NOT_FOUND');
      const opp = await history(`/api/v1/opportunities/${res.body.opportunity_id}`);
      expect(opp[0]!.changes.customer_id).to.equal('CUST-EXISTING');
      // Asking again for another customer is a conflict, not a second conversion.
      expectError(
        await app.request('POST', `${LEADS}/LEAD-C3/convert`, { body: convertBody({ customer_id: 'CUST-OTHER' }) }),
        409,
        'CONFLICT',
      );
    });

    it('a new or unqualified lead cannot be converted: 409, nothing written', async () => {
      await createLead(seedBody('LEAD-NEW'));
      const err = expectError(await app.request('POST', `${LEADS}/LEAD-NEW/convert`, { body: convertBody() }), 409, 'CONFLICT');
      expect(err.details).to.include({ status: 'new', threshold: 70 });
      await createLead(seedBody('LEAD-LOW', { title: 'Intern', employee_count: 5 }));
      await app.request('POST', `${LEADS}/LEAD-LOW/qualify`);
      const low = expectError(await app.request('POST', `${LEADS}/LEAD-LOW/convert`, { body: convertBody() }), 409, 'CONFLICT');
      expect(low.details).to.include({ status: 'unqualified' });
      expectError(await app.request('GET', `/api/v1/opportunities/${conversionIds('LEAD-LOW').opportunityId}/history`), 404, 'NOT_FOUND');
    });

    it('an invalid opportunity (unknown stage, bad amount) fails before the lead is converted', async () => {
      await qualifiedLead('LEAD-BADSTAGE');
      const err = expectError(await app.request('POST', `${LEADS}/LEAD-BADSTAGE/convert`, { body: convertBody({ stage: 'nirvana' }) }), 400, 'VALIDATION_ERROR');
      expect(err.details.allowed_stages).to.include('PROSPECTING');
      const closed = await app.request('POST', `${LEADS}/LEAD-BADSTAGE/convert`, { body: convertBody({ stage: 'closed_won' }) });
      expectError(closed, 400, 'VALIDATION_ERROR');
      const amount = expectError(await app.request('POST', `${LEADS}/LEAD-BADSTAGE/convert`, { body: convertBody({ amount: -1 }) }), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(amount)).to.include('amount');
      expect((await history(`${LEADS}/LEAD-BADSTAGE`)).map((e) => e.event_type)).to.not.include('LeadConvertedEvent');
      // Fixed, the same request then converts it.
      const ok = await app.request('POST', `${LEADS}/LEAD-BADSTAGE/convert`, { body: convertBody({ stage: 'Qualification' }) });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    });

    it('nothing changes after conversion: qualify and assign answer 409', async () => {
      await qualifiedLead('LEAD-DONE');
      expect((await app.request('POST', `${LEADS}/LEAD-DONE/convert`, { body: convertBody() })).status).to.equal(201);
      expectError(await app.request('POST', `${LEADS}/LEAD-DONE/qualify`), 409, 'CONFLICT');
      expectError(
        await app.request('POST', '/api/v1/territories/assign', { body: { lead_id: 'LEAD-DONE', territory_id: 'T', reason: 'r' } }),
        409,
        'CONFLICT',
      );
    });

    it('Idempotency-Key: the same request replays its response; another request under the key is 409', async () => {
      await qualifiedLead('LEAD-IDEM');
      const headers = { 'idempotency-key': 'convert-LEAD-IDEM-1' };
      const first = await app.request('POST', `${LEADS}/LEAD-IDEM/convert`, { body: convertBody(), headers });
      expect(first.status).to.equal(201);
      const replay = await app.request('POST', `${LEADS}/LEAD-IDEM/convert`, { body: convertBody(), headers });
      expect(replay.status).to.equal(201);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body).to.deep.equal(first.body);
      expectError(await app.request('POST', `${LEADS}/LEAD-IDEM/convert`, { body: convertBody({ amount: 5 }), headers }), 409, 'CONFLICT');
    });

    it('errors: unknown lead 404, missing amount 400', async () => {
      expectError(await app.request('POST', `${LEADS}/NO-SUCH-LEAD/convert`, { body: convertBody() }), 404, 'NOT_FOUND');
      const err = expectError(await app.request('POST', `${LEADS}/NO-SUCH-LEAD/convert`, { body: { stage: 'discovery' } }), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(err)).to.include('amount');
    });
  });

  describe('GET /leads (read model)', () => {
    const T = { tenantId: 'tenant-list', userId: 'user-list' };

    it("filters by status, assigned_to, territory_id, source (any case) and min_score; seed 004's pagination", async () => {
      await createLead(seedBody('L-1'), T); // 75, webinar
      await createLead(seedBody('L-2', { source: 'Paid_Search', title: 'Engineer' }), T); // 60
      await createLead(seedBody('L-3', { assigned_to: 'user-x', territory_id: 'T-NORTH' }), T);
      const q = await app.request('POST', `${LEADS}/L-1/qualify`, { identity: T });
      const wait = `min_position=${q.body.position}`;
      const list = async (query: string) => {
        const res = await app.request('GET', `${LEADS}?${wait}&${query}`, { identity: T });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        return res.body;
      };
      const all = await list('');
      expect(all.pagination).to.deep.equal({ total: 3, limit: 50, offset: 0, has_more: false });
      expect(all.data.map((l: { id: string }) => l.id).sort()).to.deep.equal(['L-1', 'L-2', 'L-3']);
      expect(all.data[0]).to.include.keys('id', 'status', 'first_name', 'last_name', 'email', 'company', 'score', 'assigned_to', 'created_at', 'updated_at');

      expect((await list('status=QUALIFIED')).data.map((l: { id: string }) => l.id)).to.deep.equal(['L-1']);
      expect((await list('assigned_to=user-x')).data.map((l: { id: string }) => l.id)).to.deep.equal(['L-3']);
      expect((await list('territory_id=T-NORTH')).data.map((l: { id: string }) => l.id)).to.deep.equal(['L-3']);
      expect((await list('source=PAID_SEARCH')).data.map((l: { id: string }) => l.id)).to.deep.equal(['L-2']);
      expect((await list('min_score=70')).data.map((l: { id: string }) => l.id).sort()).to.deep.equal(['L-1', 'L-3']);
      const page = await list('limit=2&offset=0');
      expect(page.data).to.have.length(2);
      expect(page.pagination).to.deep.equal({ total: 3, limit: 2, offset: 0, has_more: true });
      const last = await list('limit=2&offset=2');
      expect(last.pagination.has_more).to.equal(false);
    });

    it('bad filters are 400', async () => {
      expectError(await app.request('GET', `${LEADS}?status=archived`), 400, 'VALIDATION_ERROR');
      expectError(await app.request('GET', `${LEADS}?min_score=101`), 400, 'VALIDATION_ERROR');
      expectError(await app.request('GET', `${LEADS}?limit=0`), 400, 'VALIDATION_ERROR');
    });
  });

  describe('tenant isolation', () => {
    it("another tenant neither sees nor changes a lead: 404 everywhere, absent from its list", async () => {
      const c = await createLead(seedBody('LEAD-MINE'));
      await app.request('POST', `${LEADS}/LEAD-MINE/qualify`);
      const as = { identity: OTHER_TENANT };
      expectError(await app.request('GET', `${LEADS}/LEAD-MINE?min_position=${c.body.position}`, as), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${LEADS}/LEAD-MINE/score`, as), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${LEADS}/LEAD-MINE/history`, as), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${LEADS}/LEAD-MINE/qualify`, as), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${LEADS}/LEAD-MINE/convert`, { ...as, body: convertBody() }), 404, 'NOT_FOUND');
      expectError(
        await app.request('POST', '/api/v1/territories/assign', { ...as, body: { lead_id: 'LEAD-MINE', territory_id: 'T', reason: 'r' } }),
        404,
        'NOT_FOUND',
      );
      const list = await app.request('GET', `${LEADS}?min_position=${c.body.position}`, as);
      expect(list.body.data.map((l: { id: string }) => l.id)).to.not.include('LEAD-MINE');

      // The same id is free in the other tenant, and stays apart.
      const theirs = await createLead(seedBody('LEAD-MINE', { company: 'Other Co' }), OTHER_TENANT);
      expect(theirs.body.status).to.equal('new');
      const mine = await app.request('GET', `${LEADS}/LEAD-MINE?min_position=${theirs.body.position}`);
      expect(mine.body).to.include({ company: 'Acme Corp', status: 'qualified' });
    });
  });

  it('GET /leads/:id/history: every change with its actor', async () => {
    await createLead(seedBody('LEAD-H'), { userId: 'user-a' });
    await app.request('POST', `${LEADS}/LEAD-H/qualify`, { identity: { userId: 'user-b' } });
    const events = await history(`${LEADS}/LEAD-H`);
    expect(events.map((e) => [e.event_type, e.actor])).to.deep.equal([
      ['LeadCreatedEvent', 'user-a'],
      ['LeadScoredEvent', 'user-a'],
      ['LeadQualifiedEvent', 'user-b'],
    ]);
    expectError(await app.request('GET', `${LEADS}/NO-SUCH-LEAD/history`), 404, 'NOT_FOUND');
  });
});
