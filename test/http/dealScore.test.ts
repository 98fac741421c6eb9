import { expect } from 'chai';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { opportunitiesProjection } from '../../src/projections/opportunities.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, expectError } from './opportunityHelpers.js';

/** deal_score through the API: on create and stage change (seed 004), in the read model, filters, sorting. */
describe('HTTP API: deal score', function () {
  this.timeout(60_000);
  let app: TestApp;
  let position = '';
  const T = { tenantId: 'tenant-score' };
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(method, path, { identity: T, ...(body ? { body } : {}) });
    if (res.body?.position) position = res.body.position;
    return res;
  };

  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  it("answers seed 004's 65 on create and 72 after the move to proposal; the read model agrees", async () => {
    const created = await send('POST', BASE, {
      id: 'DS-1',
      name: 'Acme Corp - Enterprise Plan',
      account_id: 'CUST-100',
      lead_id: 'LEAD-1',
      stage: 'discovery',
      amount: 120000.0,
      expected_close_date: '2026-04-30',
      probability: 20,
      products: [{ product_id: 'prod_123', quantity: 100, unit_price: 100.0 }],
      metadata: { competition: ['Competitor A', 'Competitor B'], decision_criteria: ['price', 'features', 'support'] },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body).to.include({ probability: 20, deal_score: 65 });
    const moved = await send('PUT', `${BASE}/DS-1/stage`, { stage: 'proposal', probability: 50, next_step: 'Send proposal by Friday', notes: 'Customer requested custom pricing' });
    expect(moved.body).to.include({ stage: 'PROPOSAL', probability: 50, deal_score: 72 });
    const read = await app.request('GET', `${BASE}/DS-1?min_position=${position}`, { identity: T });
    expect(read.body.deal_score).to.equal(72);
  });

  it('filters and sorts lists by deal score; the scores survive a rebuild unchanged', async () => {
    await send('POST', BASE, { id: 'DS-2', customer_id: 'C', amount: '10.00' }); // 25 + 1
    await send('POST', BASE, { id: 'DS-3', customer_id: 'C', amount: '10.00', expected_close_date: '2026-05-01' }); // 25 + 1 + 15
    const list = async (query: string) => {
      const res = await app.request('GET', `${BASE}?${query}&min_position=${position}`, { identity: T });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body;
    };
    expect((await list('sort=-deal_score')).data.map((o: { id: string; deal_score: number }) => [o.id, o.deal_score])).to.deep.equal([
      ['DS-1', 72],
      ['DS-3', 41],
      ['DS-2', 26],
    ]);
    expect((await list('min_deal_score=30&max_deal_score=50')).data.map((o: { id: string }) => o.id)).to.deep.equal(['DS-3']);
    expect((await list('sort=deal_score')).data[0].id).to.equal('DS-2');
    expectError(await app.request('GET', `${BASE}?sort=name`, { identity: T }), 400, 'VALIDATION_ERROR');
    expectError(await app.request('GET', `${BASE}?min_deal_score=101`, { identity: T }), 400, 'VALIDATION_ERROR');

    const scores = async () => (await app.database.db('opportunities').where({ tenant_id: 'tenant-score' }).orderBy('opportunity_id')).map((r) => r.deal_score);
    const before = await scores();
    const store = createPostgresEventStore({ connection: app.database.url });
    try {
      await rebuildProjection({ db: app.database.db, store }, opportunitiesProjection);
    } finally {
      await store.close();
    }
    expect(await scores()).to.deep.equal(before);
  });
});
