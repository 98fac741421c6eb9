import { expect } from 'chai';
import { SignJWT } from 'jose';
import { mintToken } from '../../src/access/tokens.js';
import { TEST_JWT_SECRET, type TestApp, type TestResponse, startTestApp } from '../support/app.js';
import { BASE, createOpportunity, expectError, fieldsOf, historyOf } from './opportunityHelpers.js';

/**
 * The Opportunity API's refusals: every bad request gets the seed 004 envelope with a 4xx
 * status and the right code, never a 5xx; zod failures name the offending fields. Also
 * authentication and tenant isolation.
 */
describe('HTTP API: opportunities, errors, auth and tenancy', function () {
  this.timeout(30_000);
  let app: TestApp;
  // expectError asserts the exact 4xx status, so none of these refusals can pass as a 5xx.
  const post = (rawBody: string) => app.request('POST', BASE, { rawBody });
  const valid = { id: 'E-0', customer_id: 'CUST-1', amount: '10.00' };
  const body = (overrides: Record<string, unknown>) => JSON.stringify({ ...valid, ...overrides });

  before(async function () {
    this.timeout(60_000);
    app = await startTestApp();
  });
  after(async function () {
    this.timeout(60_000);
    await app?.stop();
  });

  describe('bad request bodies', () => {
    it('a NUL character, which PostgreSQL cannot store, is a 400 (body and query), not a 500', async () => {
      const res = await post(body({ id: 'E-NUL', name: 'A\u0000B' }));
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
      const q = await app.request('GET', `${BASE}?owner_id=a&stage=%00`);
      expect(q.status).to.equal(400);
    });

    it('dates that are not real calendar days (or outside 1900-2999) are refused before any event', async () => {
      for (const date of ['0000-01-01', '2026-02-30', '2026-13-01', '3000-01-01', '2026-2-1']) {
        const res = await post(body({ expected_close_date: date }));
        expect(res.status, date).to.equal(400);
        expect(res.body.error.details.fields[0].field).to.equal('expected_close_date');
      }
      expect((await post(body({ id: 'E-LEAP', expected_close_date: '2028-02-29' }))).status).to.equal(201);
    });

    it('malformed JSON → 400 VALIDATION_ERROR', async () => {
      for (const raw of ['{"id": "E-1",', '{id: "E-1"}', "{'amount': 1}", '{"amount": 1} trailing']) {
        const err = expectError(await post(raw), 400, 'VALIDATION_ERROR');
        expect(err.message, raw).to.equal('Malformed JSON body');
      }
    });

    it('wrong types → 400 naming each field', async () => {
      const err = expectError(await post(body({ amount: true, probability: 'x', customer_id: 5 })), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(err)).to.include.members(['amount', 'probability', 'customer_id']);
      for (const [field, value] of [['amount', true], ['probability', 'x'], ['customer_id', 5], ['stage', 7], ['products', 'many'], ['expected_close_date', '30/04/2026']] as const) {
        const one = expectError(await post(body({ [field]: value })), 400, 'VALIDATION_ERROR');
        expect(fieldsOf(one), field).to.deep.equal([field]);
      }
    });

    it('a non-object body or a missing required field → 400 naming it', async () => {
      expect(fieldsOf(expectError(await post('[]'), 400, 'VALIDATION_ERROR'))).to.deep.equal(['(body)']);
      expect(fieldsOf(expectError(await post('"text"'), 400, 'VALIDATION_ERROR'))).to.deep.equal(['(body)']);
      expect(fieldsOf(expectError(await post('{"customer_id":"CUST-1"}'), 400, 'VALIDATION_ERROR'))).to.deep.equal(['amount']);
      // customer_id only fails in the refinement, which zod runs once the fields themselves parse.
      expect(fieldsOf(expectError(await post('{"amount":"1.00"}'), 400, 'VALIDATION_ERROR'))).to.deep.equal(['customer_id']);
    });

    it('an unknown stage → 400 with details.allowed_stages; a closed stage cannot be the first', async () => {
      const err = expectError(await post(body({ stage: 'WAITING_FOR_GODOT' })), 400, 'VALIDATION_ERROR');
      expect(err.details).to.include({ field: 'stage', requested_stage: 'WAITING_FOR_GODOT' });
      expect(err.details.allowed_stages).to.deep.equal(['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST']);
      const closed = expectError(await post(body({ stage: 'closed won' })), 400, 'VALIDATION_ERROR');
      expect(closed.details.allowed_stages).to.deep.equal(['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION']);

      await createOpportunity(app, { id: 'E-STAGE' });
      const put = await app.request('PUT', `${BASE}/E-STAGE/stage`, { body: { stage: 'nope' } });
      expect(expectError(put, 400, 'VALIDATION_ERROR').details.allowed_stages).to.include('NEGOTIATION');
      expect(await historyOf(app, 'E-STAGE')).to.have.length(1);
    });

    it('amounts with 3 decimals, negative, 17 integer digits or not decimal → 400 on amount', async () => {
      const bad = ['1.005', '"1.005"', '-1', '-0.50', '"-5"', '12345678901234567', '"12345678901234567"', '"12345678901234567.00"', '"1,000.00"', '"abc"', '""', 'null', '{}'];
      for (const literal of bad) {
        const res = await post(`{"id":"E-AMT","customer_id":"CUST-1","amount":${literal}}`);
        expect(fieldsOf(expectError(res, 400, 'VALIDATION_ERROR')), literal).to.deep.equal(['amount']);
      }
      expectError(await app.request('GET', `${BASE}/E-AMT/history`), 404, 'NOT_FOUND');
      // Inside product lines too.
      const line = expectError(await post(body({ products: [{ product_id: 'P1', quantity: 1, unit_price: '0.001' }] })), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(line)).to.deep.equal(['products.0.unit_price']);
    });

    it('currency: an unknown code → 400; lower case is accepted and stored upper case', async () => {
      for (const c of ['XXY', 'US', 'DOLLARS', '']) {
        expect(fieldsOf(expectError(await post(body({ currency: c })), 400, 'VALIDATION_ERROR')), c).to.deep.equal(['currency']);
      }
      const ok = await app.request('POST', BASE, { body: { ...valid, id: 'E-CUR', currency: 'usd' } });
      expect(ok.status).to.equal(201);
      expect(ok.body.currency).to.equal('USD');
      const got = await app.request('GET', `${BASE}/E-CUR?min_position=${ok.body.position}`);
      expect(got.body.currency).to.equal('USD');
    });

    it('an unknown field → 400 (strict bodies), naming the key', async () => {
      const err = expectError(await post(body({ colour: 'blue' })), 400, 'VALIDATION_ERROR');
      expect(err.details.fields.map((f: any) => f.field)).to.include('colour');
      await createOpportunity(app, { id: 'E-STRICT' });
      const put = await app.request('PUT', `${BASE}/E-STRICT/stage`, { body: { stage: 'PROPOSAL', priority: 'high' } });
      expect(expectError(put, 400, 'VALIDATION_ERROR').details.fields.map((f: any) => f.field)).to.include('priority');
      const patch = await app.request('PATCH', `${BASE}/E-STRICT`, { body: { stage: 'PROPOSAL' } });
      expectError(patch, 400, 'VALIDATION_ERROR');
      expect(await historyOf(app, 'E-STRICT')).to.have.length(1);
    });

    it('a body that is not application/json → 400', async () => {
      const res = await app.request('POST', BASE, { rawBody: body({ id: 'E-CT' }), headers: { 'content-type': 'text/plain' } });
      expect(expectError(res, 400, 'VALIDATION_ERROR').message).to.match(/Content-Type/);
      const form = await app.request('POST', BASE, { rawBody: 'id=E-CT&amount=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectError(form, 400, 'VALIDATION_ERROR');
      expectError(await app.request('GET', `${BASE}/E-CT/history`), 404, 'NOT_FOUND');
    });

    it('a body over 1 MB → 400, not 500', async () => {
      const res = await post(body({ name: 'x'.repeat(1_100_000) }));
      expectError(res, 400, 'VALIDATION_ERROR');
    });

    it('a malformed path id → 400', async () => {
      expectError(await app.request('GET', `${BASE}/${encodeURIComponent('has space')}`), 400, 'VALIDATION_ERROR');
      expectError(await app.request('PUT', `${BASE}/${encodeURIComponent('-leading-dash')}/stage`, { body: { stage: 'PROPOSAL' } }), 400, 'VALIDATION_ERROR');
    });
  });

  describe('authentication', () => {
    const get = (authorization?: string) =>
      app.request('GET', BASE, authorization === undefined ? { auth: false } : { headers: { authorization } });
    const unauthorized = (res: TestResponse) => expectError(res, 401, 'UNAUTHORIZED');
    const identity = { tenantId: 'tenant-001', userId: 'user-200', roles: ['sales_rep'] };

    it('a valid token is accepted (the baseline of the refusals below)', async () => {
      const res = await get(`Bearer ${await mintToken(TEST_JWT_SECRET, identity)}`);
      expect(res.status).to.equal(200);
    });

    it('no token, or not a bearer token → 401', async () => {
      unauthorized(await get());
      unauthorized(await get('Basic dXNlcjpwYXNz'));
      unauthorized(await get('Bearer'));
      unauthorized(await app.request('POST', BASE, { auth: false, body: valid }));
    });

    it('a token signed with another secret → 401', async () => {
      const forged = await mintToken('another-secret-0123456789abcdef0123456789abcdef', identity);
      expect(unauthorized(await get(`Bearer ${forged}`)).message).to.match(/invalid token/);
      unauthorized(await get('Bearer not.a.jwt'));
    });

    it('an expired token → 401', async () => {
      const expired = await mintToken(TEST_JWT_SECRET, identity, { expiresIn: '-1s' });
      expect(unauthorized(await get(`Bearer ${expired}`)).message).to.match(/expired/);
    });

    it('an unsigned token (alg none) → 401', async () => {
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'user-200', tenant_id: 'tenant-001', roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 600 })}.`;
      unauthorized(await get(`Bearer ${none}`));
    });

    it('a token without an expiry → 401 (it would be valid for ever)', async () => {
      const eternal = await new SignJWT({ tenant_id: 'tenant-001', roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject('user-200')
        .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      unauthorized(await get(`Bearer ${eternal}`));
    });

    it('a token without tenant_id (or with a malformed one) → 401 naming the claim', async () => {
      const sign = (claims: Record<string, unknown>) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject('user-200')
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const noTenant = unauthorized(await get(`Bearer ${await sign({ roles: ['sales_rep'] })}`));
      expect(noTenant.details.fields).to.deep.equal(['tenant_id']);
      const badTenant = unauthorized(await get(`Bearer ${await sign({ tenant_id: 'tenant:001', roles: ['sales_rep'] })}`));
      expect(badTenant.details.fields).to.deep.equal(['tenant_id']);
      const noRoles = unauthorized(await get(`Bearer ${await sign({ tenant_id: 'tenant-001' })}`));
      expect(noRoles.details.fields).to.deep.equal(['roles']);
    });
  });

  describe('not found and conflicts', () => {
    it('an unknown route → 404 envelope', async () => {
      expectError(await app.request('GET', '/api/v1/nope'), 404, 'NOT_FOUND');
      expectError(await app.request('GET', '/nope', { auth: false }), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${BASE}/E-X/reopen`, { body: {} }), 404, 'NOT_FOUND');
      expectError(await app.request('DELETE', `${BASE}/E-X`), 404, 'NOT_FOUND');
    });

    it('a missing opportunity → 404 NOT_FOUND on GET, history and commands', async () => {
      const err = expectError(await app.request('GET', `${BASE}/NO-SUCH-OPP`), 404, 'NOT_FOUND');
      expect(err.details.id).to.equal('NO-SUCH-OPP');
      expectError(await app.request('GET', `${BASE}/NO-SUCH-OPP/history`), 404, 'NOT_FOUND');
      expectError(await app.request('PUT', `${BASE}/NO-SUCH-OPP/stage`, { body: { stage: 'PROPOSAL' } }), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${BASE}/NO-SUCH-OPP/close`, { body: { outcome: 'won' } }), 404, 'NOT_FOUND');
      expectError(await app.request('PATCH', `${BASE}/NO-SUCH-OPP`, { body: { amount: '1' } }), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${BASE}/NO-SUCH-OPP/history`), 404, 'NOT_FOUND');
    });

    it('creating an id twice → 409 CONFLICT', async () => {
      await createOpportunity(app, { id: 'E-DUP' });
      expectError(await app.request('POST', BASE, { body: { ...valid, id: 'E-DUP' } }), 409, 'CONFLICT');
      expect(await historyOf(app, 'E-DUP')).to.have.length(1);
    });

    it('a closed opportunity refuses stage changes, closes and updates with 409 CONFLICT', async () => {
      await createOpportunity(app, { id: 'E-CLOSED' });
      expect((await app.request('POST', `${BASE}/E-CLOSED/close`, { body: { outcome: 'won' } })).status).to.equal(200);
      const err = expectError(await app.request('PUT', `${BASE}/E-CLOSED/stage`, { body: { stage: 'NEGOTIATION' } }), 409, 'CONFLICT');
      expect(err.details).to.include({ status: 'won', stage: 'CLOSED_WON' });
      expectError(await app.request('POST', `${BASE}/E-CLOSED/close`, { body: { outcome: 'lost', reason: 'x' } }), 409, 'CONFLICT');
      expectError(await app.request('PATCH', `${BASE}/E-CLOSED`, { body: { amount: '5.00' } }), 409, 'CONFLICT');
      expect(await historyOf(app, 'E-CLOSED')).to.have.length(2);
    });

    it('closing lost needs a reason → 400; with one it closes', async () => {
      await createOpportunity(app, { id: 'E-LOST' });
      const err = expectError(await app.request('POST', `${BASE}/E-LOST/close`, { body: { outcome: 'lost' } }), 400, 'VALIDATION_ERROR');
      expect(err.details.field).to.equal('reason');
      expectError(await app.request('PUT', `${BASE}/E-LOST/stage`, { body: { stage: 'CLOSED_LOST' } }), 400, 'VALIDATION_ERROR');
      expectError(await app.request('POST', `${BASE}/E-LOST/close`, { body: { outcome: 'lost', reason: '   ' } }), 400, 'VALIDATION_ERROR');
      expectError(await app.request('POST', `${BASE}/E-LOST/close`, { body: { outcome: 'maybe' } }), 400, 'VALIDATION_ERROR');
      expect(await historyOf(app, 'E-LOST')).to.have.length(1);
      const ok = await app.request('POST', `${BASE}/E-LOST/close`, { body: { outcome: 'lost', reason: 'Chose a competitor' } });
      expect(ok.status).to.equal(200);
      expect(ok.body).to.include({ status: 'lost', stage: 'CLOSED_LOST', probability: 0 });
      const history = await historyOf(app, 'E-LOST');
      expect(history.map((e) => e.event_type)).to.deep.equal(['OpportunityCreatedEvent', 'OpportunityClosedLostEvent']);
      expect(history[1].changes.reason).to.equal('Chose a competitor');
    });
  });

  describe('tenant isolation', () => {
    const t1 = { tenantId: 'tenant-001', userId: 'user-1' };
    const t2 = { tenantId: 'tenant-002', userId: 'user-2' };

    it('tenant-002 cannot see tenant-001’s OPP-100, and creates its own OPP-100 independently', async () => {
      const own = await createOpportunity(app, { id: 'OPP-100', customer_id: 'CUST-100', amount: '120000.00', stage: 'QUALIFICATION' }, { identity: t1 });
      const visible = await app.request('GET', `${BASE}/OPP-100?min_position=${own.position}`, { identity: t1 });
      expect(visible.status).to.equal(200);

      expectError(await app.request('GET', `${BASE}/OPP-100?min_position=${own.position}`, { identity: t2 }), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${BASE}/OPP-100/history`, { identity: t2 }), 404, 'NOT_FOUND');
      const list2 = await app.request('GET', `${BASE}?min_position=${own.position}`, { identity: t2 });
      expect(list2.status).to.equal(200);
      expect(list2.body.data).to.deep.equal([]);
      expect(list2.body.pagination.total).to.equal(0);
      // Nor can it change it: for tenant-002 there is nothing there.
      expectError(await app.request('PUT', `${BASE}/OPP-100/stage`, { body: { stage: 'PROPOSAL' }, identity: t2 }), 404, 'NOT_FOUND');

      const theirs = await createOpportunity(app, { id: 'OPP-100', customer_id: 'CUST-900', amount: '5.00', stage: 'PROPOSAL' }, { identity: t2 });
      expect(theirs.etag).to.equal('"0"');
      const got2 = await app.request('GET', `${BASE}/OPP-100?min_position=${theirs.position}`, { identity: t2 });
      expect(got2.body).to.include({ customer_id: 'CUST-900', amount: '5.00', stage: 'PROPOSAL', revision: '0', created_by: 'user-2' });
      const got1 = await app.request('GET', `${BASE}/OPP-100?min_position=${theirs.position}`, { identity: t1 });
      expect(got1.body).to.include({ customer_id: 'CUST-100', amount: '120000.00', stage: 'QUALIFICATION', revision: '0', created_by: 'user-1' });

      const list1 = await app.request('GET', `${BASE}?customer_id=CUST-900`, { identity: t1 });
      expect(list2.status).to.equal(200);
      expect(list1.body.data).to.deep.equal([]);
      expect((await historyOf(app, 'OPP-100', t1)).map((e) => e.actor)).to.deep.equal(['user-1']);
      expect((await historyOf(app, 'OPP-100', t2)).map((e) => e.actor)).to.deep.equal(['user-2']);
    });
  });
});
