import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, expectError } from './opportunityHelpers.js';

/** Quotas (seed 004): set and updated by managers and admins, read with attainment and coverage to the cent. */
describe('HTTP API: quotas', function () {
  this.timeout(90_000);
  let app: TestApp;
  let position = '';
  const T = 'tenant-quota';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const manager = { tenantId: T, userId: 'mgr-1', roles: ['sales_manager'] };
  const rep = { tenantId: T, userId: 'rep-1', roles: ['sales_rep'] };
  const other = { tenantId: T, userId: 'rep-2', roles: ['sales_rep'] };
  type Who = typeof admin;
  const send = async (who: Who, method: string, path: string, body?: unknown) => {
    const res = await app.request(method, path, { identity: who, ...(body !== undefined ? { body } : {}) });
    if (res.body?.position) position = res.body.position;
    return res;
  };
  const get = (who: Who, path: string) => send(who, 'GET', `${path}${path.includes('?') ? '&' : '?'}min_position=${position}`);
  const ok = async (p: Promise<{ status: number; body: any }>, status = 200) => {
    const res = await p;
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    return res.body;
  };
  const deal = (id: string, amount: string, expected: string, currency = 'USD') =>
    ok(send(rep, 'POST', BASE, { id, customer_id: 'C-1', amount, currency, expected_close_date: expected }), 201);
  const win = (id: string, closeDate: string) => ok(send(rep, 'POST', `${BASE}/${id}/close`, { outcome: 'won', close_date: closeDate }));
  let quotaId = '';

  before(async () => {
    app = await startTestApp();
    await ok(send(admin, 'POST', '/api/v1/teams', { id: 'EAST', name: 'East', manager_id: 'mgr-1', member_ids: ['rep-1'] }), 201);
    // The manager's reach is the team read model's: wait until it holds the team.
    await ok(get(admin, '/api/v1/teams/EAST'));
  });
  after(async () => app?.stop());

  it('a manager sets a quota for a team member; setting it again updates the same quota; reps and others outside the reach are refused', async () => {
    const set = await ok(send(manager, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', period: 'q1-2026', amount: 1000 }));
    expect(set).to.include({ owner_id: 'rep-1', territory_id: null, period: 'Q1_2026', amount: '1000.00', currency: 'USD', revision: '0' });
    quotaId = set.id;
    const again = await ok(send(manager, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', period: 'Q1_2026', amount: '1000.50' }));
    expect(again).to.include({ id: quotaId, amount: '1000.50', revision: '1' });
    const same = await ok(send(manager, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', period: 'Q1_2026', amount: '1000.5' }));
    expect(same.revision, 'an unchanged quota records nothing').to.equal('1');

    expectError(await send(rep, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', period: 'Q1_2026', amount: '5.00' }), 403, 'FORBIDDEN');
    expectError(await send(manager, 'PUT', '/api/v1/quotas', { owner_id: 'rep-2', period: 'Q1_2026', amount: '5.00' }), 403, 'FORBIDDEN');
    expectError(await send(manager, 'PUT', '/api/v1/quotas', { territory_id: 'EMEA', period: 'Q1_2026', amount: '5.00' }), 403, 'FORBIDDEN');
    await ok(send(admin, 'PUT', '/api/v1/quotas', { territory_id: 'EMEA', period: 'Q1_2026', amount: '5000.00', currency: 'usd' }));

    const before = await ok(get(manager, `/api/v1/quotas/${quotaId}?as_of_revision=0`));
    expect(before).to.include({ amount: '1000.00', revision: '0' }).and.not.have.property('attainment');
    const history = (await get(manager, `/api/v1/quotas/${quotaId}/history`)).body.data;
    expect(history.map((e: { event_type: string; actor: string }) => [e.event_type, e.actor])).to.deep.equal([
      ['QuotaSetEvent', 'mgr-1'],
      ['QuotaUpdatedEvent', 'mgr-1'],
    ]);
  });

  it('bad input answers the error envelope: amount not positive, unknown period, both or no target, unknown quota', async () => {
    expectError(await send(admin, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', period: 'Q1_2026', amount: '0' }), 400, 'VALIDATION_ERROR');
    expectError(await send(admin, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', period: 'Q5_2026', amount: '1' }), 400, 'VALIDATION_ERROR');
    expectError(await send(admin, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', period: 'Q1_2026', amount: '1.005' }), 400, 'VALIDATION_ERROR');
    expectError(await send(admin, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', territory_id: 'EMEA', period: 'Q1_2026', amount: '1' }), 400, 'VALIDATION_ERROR');
    expectError(await send(admin, 'PUT', '/api/v1/quotas', { period: 'Q1_2026', amount: '1' }), 400, 'VALIDATION_ERROR');
    expectError(await send(admin, 'PATCH', '/api/v1/quotas/no-such-quota', { amount: '1.00' }), 404, 'NOT_FOUND');
    expectError(await send(admin, 'PATCH', `/api/v1/quotas/${quotaId}`, { amount: '-1' }), 400, 'VALIDATION_ERROR');
  });

  it('attainment and quota-based coverage to the cent, from the deals won and open in the period; the rep sees its own, others nothing', async () => {
    await deal('Q-D1', '400.10', '2026-02-15');
    await deal('Q-D2', '600.30', '2026-03-01');
    await deal('Q-D3', '250.00', '2026-03-20');
    await deal('Q-D4', '999.00', '2026-03-20', 'EUR'); // another currency: not counted
    await deal('Q-D5', '77.00', '2026-03-20');
    await win('Q-D1', '2026-02-20');
    await win('Q-D2', '2026-03-02');
    await win('Q-D5', '2026-04-02'); // closed in Q2: not in this quota's period

    const quota = await ok(get(rep, `/api/v1/quotas/${quotaId}`));
    expect(quota).to.include({
      id: quotaId,
      amount: '1000.50',
      won_count: 2,
      won_amount: '1000.40',
      open_pipeline: '250.00',
      remaining: '0.10',
      attainment: '0.9999',
      quota_coverage: '2500.00',
    });
    expectError(await get(other, `/api/v1/quotas/${quotaId}`), 403, 'FORBIDDEN');

    const ids = async (who: Who, q = '') => (await ok(get(who, `/api/v1/quotas?${q}`))).data.map((x: { id: string }) => x.id);
    expect(await ids(rep)).to.deep.equal([quotaId]);
    expect(await ids(other)).to.deep.equal([]);
    expect(await ids(manager)).to.deep.equal([quotaId]);
    expect(await ids(admin, 'period=Q1_2026')).to.have.length(2);
    expect(await ids(admin, 'territory_id=EMEA')).to.have.length(1);
    expect(await ids(admin, 'period=Q2_2026')).to.deep.equal([]);
    expectError(await get(rep, '/api/v1/quotas?owner_id=rep-2'), 403, 'FORBIDDEN');
    const page = await ok(get(admin, '/api/v1/quotas?limit=1'));
    expect(page.pagination).to.deep.equal({ total: 2, limit: 1, offset: 0, has_more: true });

    // Beside seed 004's pipeline_coverage: the forecast of the same owner and period shows its quota.
    const forecast = await ok(send(rep, 'POST', '/api/v1/forecasts', { period: 'Q1_2026', forecast_type: 'commit', amount: '500.00' }), 201);
    expect(forecast.pipeline_coverage).to.equal('0.50');
    expect(forecast.quota).to.include({ id: quotaId, attainment: '0.9999', quota_coverage: '2500.00', won_amount: '1000.40' });
    const detail = await ok(get(rep, `/api/v1/forecasts/${forecast.id}`));
    expect(detail.quota).to.include({ id: quotaId, quota_coverage: '2500.00' });
  });

  it('once the won amount reaches the quota nothing remains to cover: remaining 0.00, quota_coverage null', async () => {
    await win('Q-D3', '2026-03-25');
    const quota = await ok(get(manager, `/api/v1/quotas/${quotaId}`));
    expect(quota).to.include({ won_amount: '1250.40', open_pipeline: '0.00', remaining: '0.00', attainment: '1.2498', quota_coverage: null });
    // The territory quota counts the territory's deals, whoever owns them: none here.
    const territory = (await ok(get(admin, '/api/v1/quotas?territory_id=EMEA'))).data[0];
    expect(territory).to.include({ owner_id: null, won_amount: '0.00', attainment: '0.0000', quota_coverage: '0.00' });
  });
});
