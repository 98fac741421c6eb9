import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { holdWrites } from '../support/heldWrites.js';
import { BASE, expectError } from './opportunityHelpers.js';

/** Territories (seed 004): managed by admins, assignments of leads and deals with their history. */
describe('HTTP API: territories', function () {
  this.timeout(60_000);
  let app: TestApp;
  let position = '';
  const T = 'tenant-terr';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const rep = { tenantId: T, userId: 'rep-1', roles: ['sales_rep'] };
  const send = async (who: typeof admin, method: string, path: string, body?: unknown) => {
    const res = await app.request(method, path, { identity: who, ...(body !== undefined ? { body } : {}) });
    if (res.body?.position) position = res.body.position;
    return res;
  };
  const get = (who: typeof admin, path: string) => send(who, 'GET', `${path}${path.includes('?') ? '&' : '?'}min_position=${position}`);

  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  it('admins create, update, deactivate and reactivate territories; everyone lists them by owner and activity', async () => {
    expect((await send(admin, 'POST', '/api/v1/territories', { id: 'EMEA', name: 'Europe', owner_id: 'mgr-1', region: 'EMEA' })).status).to.equal(201);
    expect((await send(admin, 'POST', '/api/v1/territories', { id: 'NA', name: 'North America', owner_id: 'mgr-2', rule: 'country in (US, CA)' })).status).to.equal(201);
    expectError(await send(rep, 'POST', '/api/v1/territories', { name: 'Mine' }), 403, 'FORBIDDEN');
    const patched = await send(admin, 'PATCH', '/api/v1/territories/EMEA', { name: 'EMEA', region: null });
    expect(patched.body).to.include({ name: 'EMEA', region: null, is_active: true });
    await send(admin, 'POST', '/api/v1/territories/NA/deactivate', { reason: 'merged into AMER' });
    const names = async (q: string) => (await get(rep, `/api/v1/territories?${q}`)).body.data.map((t: { id: string }) => t.id);
    expect(await names('')).to.deep.equal(['EMEA', 'NA']);
    expect(await names('is_active=true')).to.deep.equal(['EMEA']);
    expect(await names('owner_id=mgr-2')).to.deep.equal(['NA']);
    const history = (await get(admin, '/api/v1/territories/EMEA/history')).body.data;
    expect(history.map((e: { event_type: string }) => e.event_type)).to.deep.equal(['TerritoryCreatedEvent', 'TerritoryUpdatedEvent']);
  });

  it('a deactivated territory takes no new lead or deal; assignments are listed with their history, as the caller may see them', async () => {
    await send(rep, 'POST', '/api/v1/leads', { id: 'TL-1', source: 'web', email: 't@example.com', territory_id: 'EMEA' });
    await send(rep, 'POST', BASE, { id: 'TO-1', customer_id: 'C', amount: '10.00', territory_id: 'EMEA', expected_close_date: '2026-02-01' });
    await send(admin, 'POST', BASE, { id: 'TO-2', customer_id: 'C', amount: '20.00', territory_id: 'EMEA', expected_close_date: '2026-02-01' });
    expectError(await send(rep, 'POST', BASE, { customer_id: 'C', amount: '1.00', territory_id: 'NA' }), 409, 'CONFLICT');
    expectError(await send(rep, 'POST', '/api/v1/territories/assign', { lead_id: 'TL-1', territory_id: 'NA', reason: 'x' }), 409, 'CONFLICT');
    await send(admin, 'POST', '/api/v1/territories/NA/reactivate');
    const moved = await send(rep, 'PUT', `${BASE}/TO-1/territory`, { territory_id: 'NA', reason: 'customer moved' });
    expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
    expect((await get(rep, `${BASE}/TO-1/history`)).body.data.at(-1)).to.include({ from_territory: 'EMEA', to_territory: 'NA', actor: 'rep-1' });

    const assignments = async (who: typeof admin, id: string) =>
      (await get(who, `/api/v1/territories/${id}/assignments`)).body.data.map((a: Record<string, string | null>) => [a.record_type, a.record_id, a.from_territory_id, a.territory_id]);
    expect(await assignments(admin, 'EMEA')).to.have.deep.members([
      ['lead', 'TL-1', null, 'EMEA'],
      ['opportunity', 'TO-1', null, 'EMEA'],
      ['opportunity', 'TO-2', null, 'EMEA'],
      ['opportunity', 'TO-1', 'EMEA', 'NA'],
    ]);
    // The rep's own records only: TO-2 is the admin's.
    expect((await assignments(rep, 'EMEA')).map((a: unknown[]) => a[1])).not.to.include('TO-2');
    // The pipeline by territory.
    expect((await get(admin, `${BASE}/pipeline?period=Q1_2026&territory_id=EMEA`)).body.summary.total_amount).to.equal('20.00');
    expect((await get(admin, `${BASE}/pipeline?period=Q1_2026&territory_id=NA`)).body.summary.total_amount).to.equal('10.00');
  });

  it('read-your-writes on assignments waits for the records they are of: a rep sees its lead assigned just before', async () => {
    const held = await holdWrites(app.database.url, 'leads');
    try {
      expect((await send(rep, 'POST', '/api/v1/leads', { id: 'TL-LATE', source: 'web', email: 'late@example.com', territory_id: 'EMEA' })).status).to.equal(201);
      const listed = get(rep, '/api/v1/territories/EMEA/assignments?limit=100');
      await held.release(300);
      expect((await listed).body.data.map((a: { record_id: string }) => a.record_id)).to.include('TL-LATE');
    } finally {
      await held.release();
    }
  });
});
