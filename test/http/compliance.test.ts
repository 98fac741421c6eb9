import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';

/** Compliance replays: the past state of an aggregate and audit exports, from the log. */
describe('HTTP API: compliance replay and audit export', function () {
  this.timeout(60_000);
  let app: TestApp;
  const compliance = { userId: 'auditor-1', roles: ['compliance'] };

  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  async function command(method: string, path: string, body: unknown, identity = { userId: 'user-777' }) {
    const res = await app.request(method, path, { body, identity });
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
    return res.body as { position: string; revision: string };
  }

  const get = async (path: string, identity: Record<string, unknown> = {}) => app.request('GET', path, { identity });

  it('as_of any moment of the seed scenario returns what GET returned at that moment', async () => {
    const snapshots: unknown[] = [];
    const read = async (position: string) => {
      const res = await get(`/api/v1/opportunities/OPP-100?min_position=${position}`);
      expect(res.status).to.equal(200);
      snapshots.push(res.body);
    };
    await read((await command('POST', '/api/v1/opportunities', { id: 'OPP-100', customer_id: 'CUST-100', amount: '120000.00', currency: 'USD', stage: 'QUALIFICATION' })).position);
    await new Promise((r) => setTimeout(r, 20));
    await read((await command('PUT', '/api/v1/opportunities/OPP-100/stage', { stage: 'NEGOTIATION' })).position);
    await new Promise((r) => setTimeout(r, 20));
    await read((await command('POST', '/api/v1/opportunities/OPP-100/close', { outcome: 'won' })).position);

    const history = (await get('/api/v1/opportunities/OPP-100/history')).body.data as { timestamp: string }[];
    expect(history).to.have.length(3);
    for (let i = 0; i < 3; i++) {
      const at = history[i]!.timestamp;
      const byTime = await get(`/api/v1/opportunities/OPP-100?as_of=${encodeURIComponent(at)}`);
      expect(byTime.status).to.equal(200);
      expect(byTime.body, `as_of ${at}`).to.deep.equal(snapshots[i]);
      expect(byTime.headers.get('etag')).to.equal(`"${i}"`);
      // A moment between two events sees the earlier one.
      const justAfter = new Date(Date.parse(at) + 5).toISOString();
      expect((await get(`/api/v1/opportunities/OPP-100?as_of=${justAfter}`)).body).to.deep.equal(snapshots[i]);
      expect((await get(`/api/v1/opportunities/OPP-100?as_of_revision=${i}`)).body).to.deep.equal(snapshots[i]);
    }
    const before = new Date(Date.parse(history[0]!.timestamp) - 1000).toISOString();
    const missing = await get(`/api/v1/opportunities/OPP-100?as_of=${before}`);
    expect(missing.status).to.equal(404);
    expect(missing.body.error.code).to.equal('NOT_FOUND');
    // The present is untouched by the replays.
    expect((await get('/api/v1/opportunities/OPP-100')).body).to.deep.equal(snapshots[2]);
  });

  it('refuses a malformed as_of', async () => {
    for (const q of ['as_of=yesterday', 'as_of_revision=-1', 'as_of=2026-02-02T11:10:00Z&as_of_revision=1']) {
      const res = await get(`/api/v1/opportunities/OPP-100?${q}`);
      expect(res.status, q).to.equal(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
    }
  });

  describe('audit export', () => {
    const tenant = 'tenant-audit';
    const other = 'tenant-other';
    let expected = 0;

    before(async () => {
      for (let i = 0; i < 4; i++) {
        const identity = { tenantId: tenant, userId: `rep-${i}` };
        let res = await app.request('POST', '/api/v1/opportunities', {
          identity,
          body: { id: `A-${i}`, customer_id: i % 2 ? 'CUST-X' : 'CUST-Y', amount: '10.50', stage: 'PROSPECTING' },
        });
        expect(res.status).to.equal(201);
        res = await app.request('PUT', `/api/v1/opportunities/A-${i}/stage`, { identity, body: { stage: 'PROPOSAL', notes: 'a "quoted", note\nwith a line break' } });
        expect(res.status).to.equal(200);
        expected += 2;
      }
      const res = await app.request('POST', '/api/v1/opportunities', { identity: { tenantId: other }, body: { id: 'A-0', customer_id: 'CUST-X', amount: '1' } });
      expect(res.status).to.equal(201);
    });

    // A one-line export is itself valid JSON, which the test client would have parsed.
    const lines = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body)).split('\n').filter((l) => l.trim() !== '');

    it('a tenant export holds one line per event of that tenant, each with its actor', async () => {
      const res = await get('/api/v1/audit/events', { tenantId: tenant, ...compliance });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/ndjson/);
      const records = lines(res.body).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records).to.have.length(expected);
      expect(records.every((r) => typeof r.actor === 'string' && (r.actor as string).startsWith('rep-'))).to.equal(true);
      expect(records.every((r) => (r.stream as string).includes(`-${tenant}:`))).to.equal(true);
      expect(records.map((r) => r.event_type)).to.include('OpportunityStageChangedEvent');
      expect(records[0]).to.include.keys('time', 'correlation_id', 'changes', 'event_id');
    });

    it('CSV: a header, then one correctly quoted row per event', async () => {
      const res = await get('/api/v1/audit/events?format=csv', { tenantId: tenant, ...compliance });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/text\/csv/);
      const text = res.body as string;
      expect(text.startsWith('time,actor,event_type,')).to.equal(true);
      // Rows are CRLF-terminated; a quoted field may hold a bare LF.
      const rows = text.split('\r\n').filter((r) => r !== '');
      expect(rows).to.have.length(expected + 1);
      // The changes column is JSON, so it is quoted and its quotes doubled.
      expect(text).to.contain('""notes"":""a \\""quoted\\"", note\\nwith a line break""');
    });

    it('a customer export holds the streams that concern that customer', async () => {
      const res = await get('/api/v1/audit/events?customer_id=CUST-X', { tenantId: tenant, ...compliance });
      const records = lines(res.body).map((l) => JSON.parse(l) as { aggregate_id: string });
      expect(records).to.have.length(4);
      expect([...new Set(records.map((r) => r.aggregate_id))].sort()).to.deep.equal(['A-1', 'A-3']);
    });

    it('a stream export and a time window', async () => {
      const res = await get('/api/v1/audit/events?aggregate_type=opportunity&aggregate_id=A-2', { tenantId: tenant, ...compliance });
      const records = lines(res.body).map((l) => JSON.parse(l) as { time: string; revision: string });
      expect(records.map((r) => r.revision)).to.deep.equal(['0', '1']);
      const from = records[1]!.time;
      const windowed = await get(`/api/v1/audit/events?aggregate_type=opportunity&aggregate_id=A-2&from=${encodeURIComponent(from)}`, { tenantId: tenant, ...compliance });
      expect(lines(windowed.body)).to.have.length(1);
    });

    it('needs the compliance or admin role, and validates its query', async () => {
      const rep = await get('/api/v1/audit/events', { tenantId: tenant, roles: ['sales_rep'] });
      expect(rep.status).to.equal(403);
      expect(rep.body.error.code).to.equal('FORBIDDEN');
      for (const q of ['format=xml', 'aggregate_type=opportunity', 'aggregate_type=widget&aggregate_id=1', 'from=2026-03-01T00:00:00Z&to=2026-01-01T00:00:00Z']) {
        const res = await get(`/api/v1/audit/events?${q}`, { tenantId: tenant, ...compliance });
        expect(res.status, q).to.equal(400);
      }
    });
  });
});

describe('HTTP API: the pipeline as of a past moment', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  it('recomputes the pipeline from the log up to that moment', async () => {
    const identity = { tenantId: 'tenant-past', roles: ['sales_manager'] };
    let position = '';
    const send = async (method: string, path: string, body: unknown) => {
      const res = await app.request(method, path, { body, identity });
      expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
      position = res.body.position as string;
    };
    for (let i = 0; i < 5; i++) {
      await send('POST', '/api/v1/opportunities', { id: `P-${i}`, customer_id: 'C', amount: `${1000 * (i + 1)}.10`, stage: 'QUALIFICATION', expected_close_date: '2026-02-15' });
    }
    const then = await app.request('GET', `/api/v1/opportunities/pipeline?period=Q1_2026&min_position=${position}`, { identity });
    expect(then.status).to.equal(200);
    expect(then.body.summary.total_count).to.equal(5);
    await new Promise((r) => setTimeout(r, 30));
    const moment = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    await send('PUT', '/api/v1/opportunities/P-0/stage', { stage: 'NEGOTIATION' });
    await send('POST', '/api/v1/opportunities/P-1/close', { outcome: 'won' });
    await send('PATCH', '/api/v1/opportunities/P-2', { amount: '99999.99' });
    await send('POST', '/api/v1/opportunities', { id: 'P-9', customer_id: 'C', amount: '5.00', stage: 'PROPOSAL', expected_close_date: '2026-03-01' });
    const now = await app.request('GET', `/api/v1/opportunities/pipeline?period=Q1_2026&min_position=${position}`, { identity });
    expect(now.body.summary).to.not.deep.equal(then.body.summary);

    const past = await app.request('GET', `/api/v1/opportunities/pipeline?period=Q1_2026&as_of=${encodeURIComponent(moment)}`, { identity });
    expect(past.status).to.equal(200);
    const { as_of: asOf, ...figures } = past.body;
    expect(asOf).to.equal(moment);
    expect(figures).to.deep.equal(then.body);
    // A date means the end of that day; before any event the pipeline is empty.
    const empty = await app.request('GET', '/api/v1/opportunities/pipeline?period=Q1_2026&as_of=2020-01-01', { identity });
    expect(empty.body.summary.total_count).to.equal(0);
    const bad = await app.request('GET', '/api/v1/opportunities/pipeline?period=Q1_2026&as_of=last-week', { identity });
    expect(bad.status).to.equal(400);
    const rep = await app.request('GET', `/api/v1/opportunities/pipeline?period=Q1_2026&as_of=${encodeURIComponent(moment)}`, {
      identity: { tenantId: 'tenant-past', roles: ['sales_rep'] },
    });
    expect(rep.status).to.equal(403);
    expect(rep.body.error.code).to.equal('FORBIDDEN');
  });
});

describe('HTTP API: every aggregate as of a past moment', function () {
  this.timeout(60_000);
  let app: TestApp;
  const identity = { tenantId: 'tenant-asof', roles: ['sales_manager'] };
  const auditor = { tenantId: 'tenant-asof', roles: ['compliance'] };
  const send = async (method: string, path: string, body: unknown) => {
    const res = await app.request(method, path, { body, identity });
    expect(res.status, `${method} ${path} ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    return res.body;
  };
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  it('a customer profile, a lead and a forecast answer as they stood at a revision', async () => {
    await send('POST', '/api/v1/customers', { customer_id: 'CUST-A', name: 'Acme Corp' });
    await send('PATCH', '/api/v1/customers/CUST-A', { name: 'Acme Corporation' });
    await send('PUT', '/api/v1/customers/CUST-A/consents/EMAIL', { status: 'GRANTED' });
    const customer0 = await app.request('GET', '/api/v1/customers/CUST-A?as_of_revision=0', { identity });
    expect(customer0.status).to.equal(200);
    expect(customer0.body).to.include({ id: 'CUST-A', name: 'Acme Corp' });
    expect(customer0.body.consents).to.deep.equal([]);
    const customer2 = await app.request('GET', '/api/v1/customers/CUST-A?as_of_revision=2', { identity });
    expect(customer2.body.name).to.equal('Acme Corporation');
    expect(customer2.body.consents.map((c: { status: string }) => c.status)).to.deep.equal(['GRANTED']);

    const lead = await send('POST', '/api/v1/leads', { source: 'webinar', first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com', company: 'Initech' });
    await send('POST', '/api/v1/territories/assign', { lead_id: lead.id, territory_id: 'T-9', reason: 'Geographic match' });
    const leadThen = await app.request('GET', `/api/v1/leads/${lead.id}?as_of_revision=1`, { identity });
    expect(leadThen.status).to.equal(200);
    expect(leadThen.body.territory_id).to.equal(null);
    const leadNow = await app.request('GET', `/api/v1/leads/${lead.id}?as_of=${encodeURIComponent(new Date().toISOString())}`, { identity });
    expect(leadNow.body.territory_id).to.equal('T-9');

    await send('POST', '/api/v1/forecasts', { id: 'F-1', period: 'Q4_2026', forecast_type: 'commit', amount: '5000.00' });
    await send('POST', '/api/v1/forecasts/F-1/adjust', { amount: '4000.00', reason: 'Deal slipped' });
    const forecast0 = await app.request('GET', '/api/v1/forecasts/F-1?as_of_revision=0', { identity });
    expect(forecast0.body.amount).to.equal('5000.00');
  });

  it('GET /audit/state folds any aggregate with its own decider, for the compliance role', async () => {
    const res = await app.request('GET', '/api/v1/audit/state?aggregate_type=customerProfile&aggregate_id=CUST-A&as_of_revision=0', { identity: auditor });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ aggregate_type: 'customerProfile', aggregate_id: 'CUST-A', revision: '0' });
    expect(res.body.state.name).to.equal('Acme Corp');
    expect(res.body.last_event).to.include({ event_type: 'CustomerProfileCreatedEvent' });
    const forecast = await app.request('GET', '/api/v1/audit/state?aggregate_type=forecast&aggregate_id=F-1', { identity: auditor });
    expect(forecast.body.state.amount).to.equal('4000.00');
    expect((await app.request('GET', '/api/v1/audit/state?aggregate_type=lead&aggregate_id=NOPE', { identity: auditor })).status).to.equal(404);
    expect((await app.request('GET', '/api/v1/audit/state?aggregate_type=widget&aggregate_id=X', { identity: auditor })).status).to.equal(400);
    expect((await app.request('GET', '/api/v1/audit/state?aggregate_type=lead&aggregate_id=X', { identity })).status).to.equal(403);
  });
});
