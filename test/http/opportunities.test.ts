import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, POSITION, createOpportunity, expectError, historyOf } from './opportunityHelpers.js';

/**
 * The Opportunity HTTP API against the real service: the seed 000 scenario, Idempotency-Key,
 * If-Match/ETag, PATCH, list filters and pagination, OpenAPI and health.
 * Errors, auth and tenancy: opportunities.errors.test.ts; concurrency and read-your-writes:
 * opportunities.concurrency.test.ts.
 */
describe('HTTP API: opportunities', function () {
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

  describe('seed 000 scenario: OPP-100 created, moved to NEGOTIATION, closed won', () => {
    it('records three events by the token user and shows CLOSED_WON with the exact amount', async () => {
      const actor = { tenantId: 'tenant-001', userId: 'user-777' };
      const raw = '{"id":"OPP-100","customer_id":"CUST-100","amount":120000.00,"currency":"USD","stage":"QUALIFICATION"}';
      expect(raw).to.contain('120000.00');

      const created = await app.request('POST', BASE, { rawBody: raw, identity: actor, headers: { 'x-correlation-id': 'corr-seed-000' } });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(created.headers.get('location')).to.equal(`${BASE}/OPP-100`);
      expect(created.headers.get('etag')).to.equal('"0"');
      expect(created.body).to.include({ id: 'OPP-100', customer_id: 'CUST-100', stage: 'QUALIFICATION', status: 'open', amount: '120000.00', currency: 'USD', revision: '0' });
      expect(created.body.position).to.match(POSITION);
      expect(created.headers.get('x-event-position')).to.equal(created.body.position);

      const moved = await app.request('PUT', `${BASE}/OPP-100/stage`, {
        body: { stage: 'NEGOTIATION' },
        identity: actor,
        headers: { 'if-match': created.headers.get('etag')! },
      });
      expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
      expect(moved.headers.get('etag')).to.equal('"1"');
      expect(moved.body).to.include({ id: 'OPP-100', stage: 'NEGOTIATION', status: 'open', probability: 75, revision: '1' });

      const closed = await app.request('POST', `${BASE}/OPP-100/close`, { body: { outcome: 'won' }, identity: actor });
      expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
      expect(closed.headers.get('etag')).to.equal('"2"');
      expect(closed.body).to.include({ stage: 'CLOSED_WON', status: 'won', probability: 100, revision: '2', amount: '120000.00' });
      expect(closed.body.position).to.match(POSITION);

      const got = await app.request('GET', `${BASE}/OPP-100?min_position=${encodeURIComponent(closed.body.position)}`, { identity: actor });
      expect(got.status, JSON.stringify(got.body)).to.equal(200);
      expect(got.headers.get('etag')).to.equal('"2"');
      expect(got.body).to.include({
        id: 'OPP-100',
        customer_id: 'CUST-100',
        stage: 'CLOSED_WON',
        status: 'won',
        probability: 100,
        currency: 'USD',
        revision: '2',
        owner_id: 'user-777',
        created_by: 'user-777',
        updated_by: 'user-777',
        close_date: new Date().toISOString().slice(0, 10),
      });
      expect(got.body.amount).to.be.a('string').and.equal('120000.00');

      const history = await historyOf(app, 'OPP-100', actor);
      expect(history.map((e) => e.event_type)).to.deep.equal([
        'OpportunityCreatedEvent',
        'OpportunityStageChangedEvent',
        'OpportunityClosedWonEvent',
      ]);
      expect(history.map((e) => e.revision)).to.deep.equal(['0', '1', '2']);
      expect(history.map((e) => e.actor)).to.deep.equal(['user-777', 'user-777', 'user-777']);
      expect(history.map((e) => e.from_stage)).to.deep.equal([null, 'QUALIFICATION', 'NEGOTIATION']);
      expect(history.map((e) => e.to_stage)).to.deep.equal(['QUALIFICATION', 'NEGOTIATION', 'CLOSED_WON']);
      const times = history.map((e) => Date.parse(e.timestamp));
      for (const t of times) expect(Number.isNaN(t)).to.equal(false);
      for (let i = 1; i < times.length; i++) expect(times[i]).to.be.at.least(times[i - 1]!);
      expect(history[0].changes).to.include({ opportunity_id: 'OPP-100', customer_id: 'CUST-100', amount: '120000.00', currency: 'USD' });
      expect(history[2].changes.amount).to.equal('120000.00');
      // Every event carries the request that caused it; the first, the client's correlation id.
      expect(history[0].correlation_id).to.equal('corr-seed-000');
      expect(history.map((e) => e.causation_id)).to.deep.equal(
        [created, moved, closed].map((r) => r.headers.get('x-request-id')),
      );
      expect(new Set(history.map((e) => e.event_id)).size).to.equal(3);
    });
  });

  describe('read-your-writes', () => {
    it('a GET with the min_position of a command always sees that command', async () => {
      for (let i = 0; i < 15; i++) {
        const c = await createOpportunity(app, { id: `RYW-${i}`, amount: `${i}.5` });
        const got = await app.request('GET', `${BASE}/RYW-${i}?min_position=${c.position}`);
        expect(got.status, `RYW-${i}: ${JSON.stringify(got.body)}`).to.equal(200);
        expect(got.body.amount).to.equal(`${i}.50`);
        // The header form of the same.
        const listed = await app.request('GET', `${BASE}?customer_id=CUST-1&limit=200`, { headers: { 'x-min-position': c.position } });
        expect(listed.status).to.equal(200);
        expect(listed.body.data.map((o: any) => o.id)).to.include(`RYW-${i}`);
      }
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same POST and appends once', async () => {
      const send = () =>
        app.request('POST', BASE, {
          rawBody: '{"id":"IDEM-1","customer_id":"CUST-9","amount":250.10}',
          headers: { 'idempotency-key': 'key-idem-1' },
        });
      const first = await send();
      const second = await send();
      expect(first.status).to.equal(201);
      expect(first.headers.get('idempotent-replayed')).to.equal(null);
      expect(second.status).to.equal(201);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(second.body).to.deep.equal(first.body);
      expect(second.headers.get('etag')).to.equal(first.headers.get('etag'));
      expect(second.headers.get('location')).to.equal(first.headers.get('location'));
      expect(await historyOf(app, 'IDEM-1')).to.have.length(1);
    });

    it('refuses the same key with a different body with 409 CONFLICT', async () => {
      const first = await app.request('POST', BASE, {
        body: { id: 'IDEM-2', customer_id: 'CUST-9', amount: '10.00' },
        headers: { 'idempotency-key': 'key-idem-2' },
      });
      expect(first.status).to.equal(201);
      const other = await app.request('POST', BASE, {
        body: { id: 'IDEM-2', customer_id: 'CUST-9', amount: '11.00' },
        headers: { 'idempotency-key': 'key-idem-2' },
      });
      const err = expectError(other, 409, 'CONFLICT');
      expect(err.details.idempotency_key).to.equal('key-idem-2');
      const history = await historyOf(app, 'IDEM-2');
      expect(history).to.have.length(1);
      expect(history[0].changes.amount).to.equal('10.00');
    });

    it('replays a failed command’s error for the same key, and appends nothing', async () => {
      const send = () =>
        app.request('POST', BASE, {
          body: { id: 'IDEM-3', customer_id: 'CUST-9', amount: '5', stage: 'NO_SUCH_STAGE' },
          headers: { 'idempotency-key': 'key-idem-3' },
        });
      const first = await send();
      const err = expectError(first, 400, 'VALIDATION_ERROR');
      expect(err.details.allowed_stages).to.include('QUALIFICATION');
      const second = await send();
      expect(second.status).to.equal(400);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(second.body).to.deep.equal(first.body);
      expectError(await app.request('GET', `${BASE}/IDEM-3/history`), 404, 'NOT_FOUND');
    });

    it('replays a stage change once even after the stream moved on', async () => {
      await createOpportunity(app, { id: 'IDEM-4', stage: 'PROSPECTING' });
      const send = () => app.request('PUT', `${BASE}/IDEM-4/stage`, { body: { stage: 'PROPOSAL' }, headers: { 'idempotency-key': 'key-idem-4' } });
      const first = await send();
      expect(first.status).to.equal(200);
      expect(first.body).to.include({ stage: 'PROPOSAL', revision: '1' });
      const other = await app.request('PUT', `${BASE}/IDEM-4/stage`, { body: { stage: 'NEGOTIATION' } });
      expect(other.status).to.equal(200);
      const replay = await send();
      expect(replay.status).to.equal(200);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body).to.deep.equal(first.body);
      const history = await historyOf(app, 'IDEM-4');
      expect(history.map((e) => e.to_stage)).to.deep.equal(['PROSPECTING', 'PROPOSAL', 'NEGOTIATION']);
    });

    it('scopes keys to the tenant', async () => {
      const a = await app.request('POST', BASE, {
        body: { id: 'IDEM-5', customer_id: 'CUST-9', amount: '1' },
        headers: { 'idempotency-key': 'key-shared' },
        identity: { tenantId: 'tenant-idem-a' },
      });
      const b = await app.request('POST', BASE, {
        body: { id: 'IDEM-5', customer_id: 'CUST-9', amount: '2' },
        headers: { 'idempotency-key': 'key-shared' },
        identity: { tenantId: 'tenant-idem-b' },
      });
      expect([a.status, b.status]).to.deep.equal([201, 201]);
      expect(b.headers.get('idempotent-replayed')).to.equal(null);
      expect([a.body.amount, b.body.amount]).to.deep.equal(['1.00', '2.00']);
    });
  });

  describe('If-Match / ETag', () => {
    it('GET returns the revision as ETag; a stale If-Match is refused, the current one accepted', async () => {
      const c = await createOpportunity(app, { id: 'ETAG-1', amount: '100.00' });
      const got = await app.request('GET', `${BASE}/ETAG-1?min_position=${c.position}`);
      expect(got.status).to.equal(200);
      expect(got.headers.get('etag')).to.equal('"0"');
      expect(got.body.revision).to.equal('0');

      const stale = await app.request('PATCH', `${BASE}/ETAG-1`, { body: { amount: '200.00' }, headers: { 'if-match': '"5"' } });
      const err = expectError(stale, 409, 'CONFLICT');
      expect(err.details).to.include({ current_revision: '0', expected_revision: '5' });

      const ok = await app.request('PATCH', `${BASE}/ETAG-1`, { body: { amount: '200.00' }, headers: { 'if-match': got.headers.get('etag')! } });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.headers.get('etag')).to.equal('"1"');
      expect(ok.body).to.include({ amount: '200.00', revision: '1' });

      const again = await app.request('PATCH', `${BASE}/ETAG-1`, { body: { amount: '300.00' }, headers: { 'if-match': '"0"' } });
      expect(expectError(again, 409, 'CONFLICT').details.current_revision).to.equal('1');

      // The weak form of the ETag is accepted too.
      const weak = await app.request('PATCH', `${BASE}/ETAG-1`, { body: { amount: '300.00' }, headers: { 'if-match': 'W/"1"' } });
      expect(weak.status).to.equal(200);
      expect(weak.headers.get('etag')).to.equal('"2"');

      const after = await app.request('GET', `${BASE}/ETAG-1?min_position=${weak.body.position}`);
      expect(after.headers.get('etag')).to.equal('"2"');
      expect(after.body.amount).to.equal('300.00');
      expect(await historyOf(app, 'ETAG-1')).to.have.length(3);
    });

    it('refuses an If-Match that is not an ETag with 400', async () => {
      await createOpportunity(app, { id: 'ETAG-2' });
      const res = await app.request('PATCH', `${BASE}/ETAG-2`, { body: { amount: '1.00' }, headers: { 'if-match': 'yesterday' } });
      expect(expectError(res, 400, 'VALIDATION_ERROR').details.header).to.equal('If-Match');
      expect(await historyOf(app, 'ETAG-2')).to.have.length(1);
    });
  });

  describe('PATCH amount / currency / expected_close_date', () => {
    it('round-trips the largest amounts exactly, as strings and as raw JSON numbers', async () => {
      const c = await createOpportunity(app, { id: 'PATCH-1', amount: '1.00', expected_close_date: '2026-04-30' });
      const cases: [string, string][] = [
        ['{"amount":"99999999999999.99"}', '99999999999999.99'],
        ['{"amount":99999999999999.99}', '99999999999999.99'], // a float would print ...99.98 or ...100
        ['{"amount":9999999999999999.99}', '9999999999999999.99'], // 16 integer digits: the maximum
        ['{"amount":0.1}', '0.10'],
      ];
      let position = c.position;
      for (const [raw, expected] of cases) {
        const res = await app.request('PATCH', `${BASE}/PATCH-1`, { rawBody: raw });
        expect(res.status, `${raw}: ${JSON.stringify(res.body)}`).to.equal(200);
        expect(res.body.amount).to.equal(expected);
        position = res.body.position;
        const got = await app.request('GET', `${BASE}/PATCH-1?min_position=${position}`);
        expect(got.body.amount, raw).to.equal(expected);
      }
      const dated = await app.request('PATCH', `${BASE}/PATCH-1`, { body: { expected_close_date: '2027-01-15', currency: 'eur' } });
      expect(dated.status).to.equal(200);
      expect(dated.body).to.include({ expected_close_date: '2027-01-15', currency: 'EUR' });
      const got = await app.request('GET', `${BASE}/PATCH-1?min_position=${dated.body.position}`);
      expect(got.body).to.include({ expected_close_date: '2027-01-15', currency: 'EUR', amount: '0.10', revision: '4' });

      const cleared = await app.request('PATCH', `${BASE}/PATCH-1`, { body: { expected_close_date: null } });
      expect(cleared.status).to.equal(200);
      const gotCleared = await app.request('GET', `${BASE}/PATCH-1?min_position=${cleared.body.position}`);
      expect(gotCleared.body.expected_close_date).to.equal(null);
      const history = await historyOf(app, 'PATCH-1');
      expect(history.at(-1).changes.changed_fields).to.deep.equal(['expectedCloseDate']);
    });

    it('a PATCH that changes nothing answers 200 and records no event', async () => {
      const c = await createOpportunity(app, { id: 'PATCH-2', amount: '120000.00', currency: 'USD', expected_close_date: '2026-04-30' });
      const before = await historyOf(app, 'PATCH-2');
      // 120000 is the same amount as 120000.00; "usd" the same currency as USD.
      const res = await app.request('PATCH', `${BASE}/PATCH-2`, {
        rawBody: '{"amount":120000,"currency":"usd","expected_close_date":"2026-04-30"}',
        headers: { 'if-match': c.etag },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.headers.get('etag')).to.equal('"0"');
      expect(res.body).to.include({ revision: '0', amount: '120000.00' });
      expect(res.body.position).to.equal(c.position);
      const after = await historyOf(app, 'PATCH-2');
      expect(after).to.deep.equal(before);
    });

    it('refuses an empty PATCH with 400', async () => {
      await createOpportunity(app, { id: 'PATCH-3' });
      expectError(await app.request('PATCH', `${BASE}/PATCH-3`, { body: {} }), 400, 'VALIDATION_ERROR');
      expect(await historyOf(app, 'PATCH-3')).to.have.length(1);
    });
  });

  describe('list', () => {
    const tenant = { tenantId: 'tenant-list' };
    let last = '';
    const list = async (query: string) => {
      const res = await app.request('GET', `${BASE}?min_position=${last}&${query}`, { identity: tenant });
      expect(res.status, `${query}: ${JSON.stringify(res.body)}`).to.equal(200);
      return res.body as { data: any[]; pagination: Record<string, unknown> };
    };
    const ids = (b: { data: any[] }) => b.data.map((o) => o.id).sort();

    before(async () => {
      const make = async (body: Record<string, unknown>) => (last = (await createOpportunity(app, body, { identity: tenant })).position);
      await make({ id: 'L1', customer_id: 'CUST-A', owner_id: 'owner-1', stage: 'QUALIFICATION' });
      await make({ id: 'L2', customer_id: 'CUST-A', owner_id: 'owner-2', stage: 'NEGOTIATION' });
      await make({ id: 'L3', customer_id: undefined, account_id: 'CUST-B', owner_id: 'owner-1', stage: 'NEGOTIATION' });
      await make({ id: 'L4', customer_id: 'CUST-B', owner_id: 'owner-2', stage: 'PROPOSAL' });
      await make({ id: 'L5', customer_id: 'CUST-C', owner_id: 'owner-3', stage: 'discovery' });
      const won = await app.request('POST', `${BASE}/L3/close`, { body: { outcome: 'won' }, identity: tenant });
      const lost = await app.request('POST', `${BASE}/L4/close`, { body: { outcome: 'lost', reason: 'budget' }, identity: tenant });
      expect([won.status, lost.status]).to.deep.equal([200, 200]);
      last = lost.body.position;
    });

    it('lists the tenant’s opportunities with seed 004 pagination', async () => {
      const all = await list('');
      expect(ids(all)).to.deep.equal(['L1', 'L2', 'L3', 'L4', 'L5']);
      expect(all.pagination).to.deep.equal({ total: 5, limit: 50, offset: 0, has_more: false });
      const l4 = all.data.find((o) => o.id === 'L4');
      expect(l4).to.include({ status: 'lost', stage: 'CLOSED_LOST', lost_reason: 'budget', customer_id: 'CUST-B', amount: '1000.00', currency: 'USD' });
    });

    it('pages with limit and offset', async () => {
      const p1 = await list('limit=2&offset=0');
      const p2 = await list('limit=2&offset=2');
      const p3 = await list('limit=2&offset=4');
      expect(p1.pagination).to.deep.equal({ total: 5, limit: 2, offset: 0, has_more: true });
      expect(p2.pagination).to.deep.equal({ total: 5, limit: 2, offset: 2, has_more: true });
      expect(p3.pagination).to.deep.equal({ total: 5, limit: 2, offset: 4, has_more: false });
      expect([p1, p2, p3].map((p) => p.data.length)).to.deep.equal([2, 2, 1]);
      expect([...ids(p1), ...ids(p2), ...ids(p3)].sort()).to.deep.equal(['L1', 'L2', 'L3', 'L4', 'L5']);
      const beyond = await list('offset=10');
      expect(beyond.data).to.deep.equal([]);
      expect(beyond.pagination).to.include({ total: 5, has_more: false });
    });

    it('filters by stage in any case and spelling', async () => {
      for (const s of ['NEGOTIATION', 'negotiation', 'Negotiation', ' negotiation ']) {
        expect(ids(await list(`stage=${encodeURIComponent(s)}`)), s).to.deep.equal(['L2']);
      }
      expect(ids(await list('stage=closed-won'))).to.deep.equal(['L3']);
      expect(ids(await list('stage=closed%20lost'))).to.deep.equal(['L4']);
      expect((await list('stage=negotiation')).pagination.total).to.equal(1);
    });

    it('filters by stage given as an alias the API accepts on input (discovery = PROSPECTING)', async () => {
      // L5 was created with stage "discovery", stored as PROSPECTING.
      expect(ids(await list('stage=PROSPECTING'))).to.deep.equal(['L5']);
      expect(ids(await list('stage=discovery'))).to.deep.equal(['L5']);
    });

    it('filters by owner_id, customer_id (or account_id) and status, and combines filters', async () => {
      expect(ids(await list('owner_id=owner-1'))).to.deep.equal(['L1', 'L3']);
      expect(ids(await list('customer_id=CUST-A'))).to.deep.equal(['L1', 'L2']);
      expect(ids(await list('account_id=CUST-B'))).to.deep.equal(['L3', 'L4']);
      expect(ids(await list('status=open'))).to.deep.equal(['L1', 'L2', 'L5']);
      expect(ids(await list('status=won'))).to.deep.equal(['L3']);
      expect(ids(await list('status=lost'))).to.deep.equal(['L4']);
      const both = await list('owner_id=owner-2&status=open');
      expect(ids(both)).to.deep.equal(['L2']);
      expect(both.pagination.total).to.equal(1);
      expect(ids(await list('owner_id=nobody'))).to.deep.equal([]);
    });

    it('refuses limit over 200 and other bad paging or filters with 400', async () => {
      for (const q of ['limit=201', 'limit=0', 'limit=abc', 'offset=-1', 'status=maybe', 'stage=']) {
        const res = await app.request('GET', `${BASE}?${q}`, { identity: tenant });
        expectError(res, 400, 'VALIDATION_ERROR');
      }
      const over = expectError(await app.request('GET', `${BASE}?limit=201`, { identity: tenant }), 400, 'VALIDATION_ERROR');
      expect(over.details.fields.map((f: any) => f.field)).to.deep.equal(['limit']);
      expect((await list('limit=200')).pagination.limit).to.equal(200);
    });
  });

  describe('service documents', () => {
    it('GET /openapi.json needs no token and describes the opportunity paths in OpenAPI 3.1', async () => {
      const res = await app.request('GET', '/openapi.json', { auth: false });
      expect(res.status).to.equal(200);
      expect(res.body.openapi).to.match(/^3\.1\./);
      expect(Object.keys(res.body.paths)).to.include.members([
        '/api/v1/opportunities',
        '/api/v1/opportunities/{id}',
        '/api/v1/opportunities/{id}/stage',
        '/api/v1/opportunities/{id}/close',
        '/api/v1/opportunities/{id}/history',
      ]);
      const paths = res.body.paths;
      expect(Object.keys(paths['/api/v1/opportunities'])).to.have.members(['get', 'post']);
      expect(Object.keys(paths['/api/v1/opportunities/{id}'])).to.have.members(['get', 'patch']);
      expect(paths['/api/v1/opportunities/{id}/stage']).to.have.key('put');
      const stageSchema = paths['/api/v1/opportunities/{id}/stage'].put.requestBody.content['application/json'].schema;
      expect(stageSchema.properties).to.have.property('stage');
      expect(stageSchema.required).to.include('stage');
      const listParams = paths['/api/v1/opportunities'].get.parameters.map((p: any) => p.name);
      expect(listParams).to.include.members(['limit', 'offset', 'stage', 'owner_id', 'customer_id', 'status']);
      expect(res.body.components.schemas.Error.properties.error.required).to.have.members(['code', 'message', 'details', 'request_id', 'timestamp']);
    });

    it('GET /health needs no token and reports ok with the opportunities projection', async () => {
      const res = await app.request('GET', '/health', { auth: false });
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('ok');
      expect(res.body.projections).to.be.an('array');
      const p = res.body.projections.find((x: any) => x.name === 'opportunities');
      expect(p, JSON.stringify(res.body.projections)).to.be.an('object');
      // A filtered checkpoint past a whole stretch of the log reads "commit/*", never int64 max.
      expect(p.checkpoint).to.match(/^\d+\/(\d+|\*)$/);
      expect(p.checkpoint).not.to.contain('9223372036854775807');
      expect(p.error).to.equal(undefined);
      expect(p.running, 'this instance runs it').to.equal(true);
      expect(res.body.subscriptions.opportunities).to.equal(res.body.instance);
    });
  });
});
