import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';

/** GET /api/v1/audit/verify and /audit/head-digest: the hash chains over HTTP, for compliance and admin only. */
describe('HTTP API: verify the hash chains, head digest', function () {
  this.timeout(60_000);
  let app: TestApp;
  const tenant = 'tenant-chain';
  const compliance = { tenantId: tenant, userId: 'auditor-1', roles: ['compliance'] };
  const stream = (id: string) => `opportunity-${tenant}:${id}`;
  const get = (path: string, identity: Record<string, unknown>) => app.request('GET', path, { identity });

  before(async () => {
    app = await startTestApp();
    for (const id of ['C-1', 'C-2']) {
      const identity = { tenantId: tenant, userId: 'rep-1' };
      let res = await app.request('POST', '/api/v1/opportunities', { identity, body: { id, customer_id: 'CUST-1', amount: '10.00', stage: 'PROSPECTING' } });
      expect(res.status).to.equal(201);
      res = await app.request('PUT', `/api/v1/opportunities/${id}/stage`, { identity, body: { stage: 'PROPOSAL' } });
      expect(res.status).to.equal(200);
    }
    // Another tenant's log is neither counted nor reachable.
    const other = await app.request('POST', '/api/v1/opportunities', { identity: { tenantId: 'tenant-else', userId: 'rep-9' }, body: { id: 'C-1', customer_id: 'X', amount: '1.00', stage: 'PROSPECTING' } });
    expect(other.status).to.equal(201);
  });
  after(async () => app?.stop());

  it('is for compliance and admin: 403 for a sales rep and a manager', async () => {
    for (const roles of [['sales_rep'], ['sales_manager']]) {
      for (const path of ['/api/v1/audit/verify', '/api/v1/audit/head-digest']) {
        const res = await get(path, { tenantId: tenant, userId: 'rep-1', roles });
        expect(res.status, `${roles[0]} ${path}`).to.equal(403);
        expect(res.body.error.code).to.equal('FORBIDDEN');
      }
    }
    expect((await get('/api/v1/audit/verify', { tenantId: tenant, userId: 'admin-1', roles: ['admin'] })).status).to.equal(200);
  });

  it('verifies the tenant clean; after a rewrite by SQL names the stream and revision; a kept digest no longer matches', async () => {
    const clean = await get('/api/v1/audit/verify', compliance);
    expect(clean.status).to.equal(200);
    expect(clean.body).to.deep.equal({ verified_streams: 2, verified_events: 4, broken: [] });
    const digest = await get('/api/v1/audit/head-digest', compliance);
    expect(digest.status).to.equal(200);
    expect(digest.body).to.include({ tenant_id: tenant, streams: 2, events: 4, broken_streams: 0 });
    const kept = digest.body as { digest: string; as_of: string };
    const same = await get(`/api/v1/audit/verify?digest=${kept.digest}&as_of=${encodeURIComponent(kept.as_of)}`, compliance);
    expect(same.body.digest).to.include({ matches: true, expected: kept.digest });

    await app.database.db.raw(`update es_events set data = jsonb_set(data, '{toStage}', '"CLOSED_WON"') where stream_id = ? and revision = 1`, [stream('C-2')]);
    const broken = await get('/api/v1/audit/verify', compliance);
    expect(broken.body.verified_streams).to.equal(2);
    expect(broken.body.broken).to.have.length(1);
    expect(broken.body.broken[0]).to.include({ stream_id: stream('C-2'), revision: '1', reason: 'hash does not match the event as stored' });
    const one = await get(`/api/v1/audit/verify?stream=${encodeURIComponent(stream('C-1'))}`, compliance);
    expect(one.body).to.deep.equal({ verified_streams: 1, verified_events: 2, broken: [] });
    const against = await get(`/api/v1/audit/verify?digest=${kept.digest}&as_of=${encodeURIComponent(kept.as_of)}`, compliance);
    expect(against.body.digest).to.include({ matches: false, expected: kept.digest });
  });

  it('bad input is a 400 VALIDATION_ERROR, another tenant\'s stream included', async () => {
    for (const q of [
      'digest=abc&as_of=2026-01-01T00:00:00Z',
      `digest=${'a'.repeat(64)}`,
      'as_of=2999-01-01T00:00:00Z',
      `stream=${encodeURIComponent('opportunity-tenant-else:C-1')}`,
      'stream=nonsense',
      'extra=1',
    ]) {
      const res = await get(`/api/v1/audit/verify?${q}`, compliance);
      expect(res.status, q).to.equal(400);
      expect(res.body.error.code, q).to.equal('VALIDATION_ERROR');
    }
    for (const q of ['date=2026-13-01', 'date=2999-01-01', 'date=2026-01-01&as_of=2026-01-01T00:00:00Z']) {
      const res = await get(`/api/v1/audit/head-digest?${q}`, compliance);
      expect(res.status, q).to.equal(400);
      expect(res.body.error.code, q).to.equal('VALIDATION_ERROR');
    }
    const daily = await get('/api/v1/audit/head-digest?date=2026-01-01', compliance);
    expect(daily.status).to.equal(200);
    expect(daily.body).to.include({ as_of: '2026-01-01T23:59:59.999Z', streams: 0, events: 0 });
  });
});
