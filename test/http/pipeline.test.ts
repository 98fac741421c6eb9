import BigNumber from 'bignumber.js';
import { expect } from 'chai';
import { weightedAmountOf } from '../../src/projections/pipelineQueries.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, expectError, fieldsOf } from './opportunityHelpers.js';
import { type Deal, PIPELINE, createDeals, expectedPipeline } from './pipelineHelpers.js';

/**
 * GET /api/v1/opportunities/pipeline against the real service: every figure equals an
 * independent computation (in code, from the opportunities as created) over the same deals.
 */
describe('HTTP API: opportunity pipeline', function () {
  this.timeout(60_000);
  let app: TestApp;
  let position = '';

  const Q1 = { from: '2026-01-01', until: '2026-04-01' };
  const deals: Deal[] = [
    // 0.10 × 25 % = 0.025: half up gives 0.03 (half even would give 0.02).
    { id: 'P-1', stage: 'QUALIFICATION', amount: '0.10', close: '2026-01-01', owner: 'O1', territory: 'T1' },
    { id: 'P-2', stage: 'qualification', amount: '1234567890123456.78', close: '2026-03-31', owner: 'O1', territory: 'T2' },
    // 0.01 × 50 % = 0.005 → 0.01.
    { id: 'P-3', stage: 'PROPOSAL', amount: '0.01', close: '2026-02-15', owner: 'O2', territory: 'T1' },
    { id: 'P-4', stage: 'discovery', amount: '120000.00', close: '2026-03-01', owner: 'O2', territory: 'T1' },
    // The opportunity's own probability weighs it, not the stage default.
    { id: 'P-5', stage: 'Negotiation', amount: '999999.99', close: '2026-03-15', owner: 'O1', territory: 'T1', probability: 90 },
    { id: 'P-6', stage: 'NEGOTIATION', amount: '50000.00', close: '2026-04-01', owner: 'O1', territory: 'T1' },
    { id: 'P-7', stage: 'PROPOSAL', amount: '70000.00', close: '2025-12-31', owner: 'O1', territory: 'T1' },
    { id: 'P-8', stage: 'PROPOSAL', amount: '1000.00', owner: 'O1', territory: 'T1' },
    { id: 'P-9', stage: 'NEGOTIATION', amount: '300000.00', close: '2026-02-01', owner: 'O1', territory: 'T1', outcome: 'won' },
    { id: 'P-10', stage: 'QUALIFICATION', amount: '400000.00', close: '2026-02-02', owner: 'O1', territory: 'T1', outcome: 'lost' },
    { id: 'P-11', stage: 'PROPOSAL', amount: '8000.00', close: '2026-03-02', owner: 'O1', territory: 'T1', currency: 'EUR' },
    { id: 'P-12', stage: 'NEGOTIATION', amount: '1234567890123456.78', close: '2026-03-10', owner: 'O2', territory: 'T2' },
    // With P-2 and P-12 the total passes 16 integer digits: still exact.
    { id: 'P-13', stage: 'PROSPECTING', amount: '9999999999999999.99', close: '2026-01-15', owner: 'O1', territory: 'T2' },
    { id: 'P-14', stage: 'PROSPECTING', amount: '0.50', close: '2026-12-31' },
  ];

  const get = async (query: string, identity?: { tenantId: string }) => {
    const res = await app.request('GET', `${PIPELINE}?${query}&min_position=${encodeURIComponent(position)}`, identity ? { identity } : {});
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  };

  before(async function () {
    this.timeout(120_000);
    app = await startTestApp();
    position = await createDeals(app, deals);
    // Another tenant's deal in the same period must never show.
    await createDeals(app, [{ id: 'P-1', stage: 'NEGOTIATION', amount: '777.77', close: '2026-02-01', owner: 'O1', territory: 'T1' }], { tenantId: 'tenant-002' });
  });
  after(async function () {
    this.timeout(60_000);
    await app?.stop();
  });

  it('Q1_2026: seed 004 shape, every figure equal to the independent computation, exact money', async () => {
    const body = await get('period=Q1_2026');
    expect(body).to.have.all.keys('period', 'period_start', 'period_end', 'owner_id', 'territory_id', 'currency', 'summary', 'by_stage', 'other_currencies');
    expect(body).to.include({ period: 'Q1_2026', period_start: '2026-01-01', period_end: '2026-03-31', owner_id: null, territory_id: null, currency: 'USD' });
    const expected = expectedPipeline(deals, Q1);
    expect(body.summary).to.deep.equal(expected.summary);
    expect(body.by_stage).to.deep.equal(expected.by_stage);
    // Spelled out, so that the helper cannot be wrong in the same way as the query.
    expect(body.summary).to.deep.equal({ total_count: 7, total_amount: '12469135781366913.65', weighted_amount: '2234567891035456.82' });
    expect(body.by_stage.map((s: { stage: string }) => s.stage)).to.deep.equal(['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION']);
    expect(body.by_stage[1]).to.deep.equal({ stage: 'QUALIFICATION', count: 2, total_amount: '1234567890123456.88', probability: 25, weighted_amount: '308641972530864.23' });
    expect(body.by_stage[2]).to.deep.equal({ stage: 'PROPOSAL', count: 1, total_amount: '0.01', probability: 50, weighted_amount: '0.01' });
    expect(body.other_currencies).to.deep.equal([{ currency: 'EUR', count: 1, total_amount: '8000.00' }]);
  });

  it('weightedAmountOf, the rule in code, rounds per opportunity half up like the SQL', async () => {
    expect(weightedAmountOf('0.10', 25)).to.equal('0.03');
    expect(weightedAmountOf('0.01', 50)).to.equal('0.01');
    expect(weightedAmountOf('0.01', 49)).to.equal('0.00');
    expect(weightedAmountOf('999999.99', 90)).to.equal('899999.99');
    expect(weightedAmountOf('9999999999999999.99', 10)).to.equal('1000000000000000.00');
    expect(weightedAmountOf('120000.00', 0)).to.equal('0.00');
    expect(weightedAmountOf('120000.00', 100)).to.equal('120000.00');
    const body = await get('period=Q1_2026&territory_id=T1');
    const open = deals.filter((d) => d.territory === 'T1' && !d.outcome && d.close && d.close >= Q1.from && d.close < Q1.until && !d.currency);
    const prob = (d: Deal) => d.probability ?? ({ QUALIFICATION: 25, PROPOSAL: 50, PROSPECTING: 10, DISCOVERY: 10, NEGOTIATION: 75 } as Record<string, number>)[d.stage.toUpperCase()]!;
    const sum = open.reduce((a, d) => a.plus(weightedAmountOf(d.amount, prob(d))), new BigNumber(0));
    expect(body.summary.weighted_amount).to.equal(sum.toFixed(2));
  });

  it('a month and a year: boundaries by expected close date', async () => {
    const march = await get('period=2026-03');
    expect(march).to.include({ period: '2026-03', period_start: '2026-03-01', period_end: '2026-03-31' });
    const expectedMarch = expectedPipeline(deals, { from: '2026-03-01', until: '2026-04-01' });
    expect(march.summary).to.deep.equal(expectedMarch.summary);
    expect(march.by_stage).to.deep.equal(expectedMarch.by_stage);
    expect(march.summary.total_count).to.equal(4);

    const year = await get('period=2026');
    const expectedYear = expectedPipeline(deals, { from: '2026-01-01', until: '2027-01-01' });
    expect(year.summary).to.deep.equal(expectedYear.summary);
    expect(year.by_stage).to.deep.equal(expectedYear.by_stage);
    expect(year.summary.total_count).to.equal(9); // Q1's 7, P-6 (1 April) and P-14 (31 December)

    const april = await get('period=2026-04');
    expect(april.summary).to.deep.equal({ total_count: 1, total_amount: '50000.00', weighted_amount: '37500.00' });
    const q4last = await get('period=Q4_2025');
    expect(q4last.summary).to.deep.equal({ total_count: 1, total_amount: '70000.00', weighted_amount: '35000.00' });
  });

  it('period spellings: any case, 2026-Q1 and q1-2026 answer as Q1_2026', async () => {
    const canonical = await get('period=Q1_2026');
    for (const p of ['q1_2026', '2026-Q1', 'q1-2026']) {
      const body = await get(`period=${encodeURIComponent(p)}`);
      expect(body.period, p).to.equal('Q1_2026');
      expect(body.summary, p).to.deep.equal(canonical.summary);
    }
  });

  it('owner and territory filters, alone and together', async () => {
    for (const [query, scope] of [
      ['owner_id=O1', { owner: 'O1' }],
      ['owner_id=O2', { owner: 'O2' }],
      ['territory_id=T1', { territory: 'T1' }],
      ['territory_id=T2', { territory: 'T2' }],
      ['owner_id=O1&territory_id=T1', { owner: 'O1', territory: 'T1' }],
      ['owner_id=O2&territory_id=T2', { owner: 'O2', territory: 'T2' }],
      ['owner_id=NOBODY', { owner: 'NOBODY' }],
    ] as const) {
      const body = await get(`period=Q1_2026&${query}`);
      const expected = expectedPipeline(deals, { ...Q1, ...scope });
      expect(body.summary, query).to.deep.equal(expected.summary);
      expect(body.by_stage, query).to.deep.equal(expected.by_stage);
      expect(body.owner_id, query).to.equal('owner' in scope ? scope.owner : null);
      expect(body.territory_id, query).to.equal('territory' in scope ? scope.territory : null);
    }
    const t1 = await get('period=Q1_2026&territory_id=T1');
    expect(t1.summary).to.deep.equal({ total_count: 4, total_amount: '1120000.10', weighted_amount: '912000.03' });
    const nobody = await get('period=Q1_2026&owner_id=NOBODY');
    expect(nobody.summary).to.deep.equal({ total_count: 0, total_amount: '0.00', weighted_amount: '0.00' });
    expect(nobody.by_stage.map((s: { count: number }) => s.count)).to.deep.equal([0, 0, 0, 0]);
    expect(nobody.other_currencies).to.deep.equal([]);
  });

  it('one currency at a time: EUR sums only EUR and reports USD as left out', async () => {
    const eur = await get('period=Q1_2026&currency=eur');
    expect(eur.currency).to.equal('EUR');
    const expected = expectedPipeline(deals, { ...Q1, currency: 'EUR' });
    expect(eur.summary).to.deep.equal(expected.summary);
    expect(eur.summary).to.deep.equal({ total_count: 1, total_amount: '8000.00', weighted_amount: '4000.00' });
    expect(eur.other_currencies).to.deep.equal([{ currency: 'USD', count: 7, total_amount: '12469135781366913.65' }]);
  });

  it('follows stage moves and closes: the deal changes stage and probability, a closed one leaves', async () => {
    const moved = await app.request('PUT', `${BASE}/P-3/stage`, { body: { stage: 'NEGOTIATION' } });
    expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
    const closed = await app.request('POST', `${BASE}/P-4/close`, { body: { outcome: 'won' } });
    expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
    position = closed.body.position;
    const now: Deal[] = deals.map((d) => (d.id === 'P-3' ? { ...d, stage: 'NEGOTIATION' } : d.id === 'P-4' ? { ...d, outcome: 'won' } : d));
    const body = await get('period=Q1_2026&territory_id=T1');
    const expected = expectedPipeline(now, { ...Q1, territory: 'T1' });
    expect(body.summary).to.deep.equal(expected.summary);
    expect(body.by_stage).to.deep.equal(expected.by_stage);
    // P-3 at 75 %: 0.0075 → 0.01; P-4 gone.
    expect(body.by_stage[3]).to.deep.equal({ stage: 'NEGOTIATION', count: 2, total_amount: '1000000.00', probability: 75, weighted_amount: '900000.00' });
    expect(body.by_stage[0]).to.include({ stage: 'PROSPECTING', count: 0, total_amount: '0.00' });
  });

  it('tenants never see each other’s pipeline', async () => {
    const other = await get('period=Q1_2026', { tenantId: 'tenant-002' });
    expect(other.summary).to.deep.equal({ total_count: 1, total_amount: '777.77', weighted_amount: '583.33' });
    const empty = await get('period=Q1_2026', { tenantId: 'tenant-003' });
    expect(empty.summary).to.deep.equal({ total_count: 0, total_amount: '0.00', weighted_amount: '0.00' });
  });

  describe('refusals', () => {
    it('a missing or bad period → 400 VALIDATION_ERROR on period', async () => {
      expect(fieldsOf(expectError(await app.request('GET', PIPELINE), 400, 'VALIDATION_ERROR'))).to.deep.equal(['period']);
      for (const p of ['Q5_2026', '2026-13', '2026-3', 'H1_2026', 'soon', '', '1899']) {
        const err = expectError(await app.request('GET', `${PIPELINE}?period=${encodeURIComponent(p)}`), 400, 'VALIDATION_ERROR');
        expect(fieldsOf(err), p).to.deep.equal(['period']);
      }
      // A repeated parameter is not a period either.
      expect(fieldsOf(expectError(await app.request('GET', `${PIPELINE}?period=Q1_2026&period=2026`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['period']);
    });

    it('a bad currency, owner or territory id → 400 naming the field', async () => {
      expect(fieldsOf(expectError(await app.request('GET', `${PIPELINE}?period=2026&currency=XXY`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['currency']);
      expect(fieldsOf(expectError(await app.request('GET', `${PIPELINE}?period=2026&owner_id=${encodeURIComponent('a b')}`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['owner_id']);
      expect(fieldsOf(expectError(await app.request('GET', `${PIPELINE}?period=2026&territory_id=${encodeURIComponent('#')}`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['territory_id']);
    });

    it('a bad min_position → 400; no token → 401', async () => {
      expectError(await app.request('GET', `${PIPELINE}?period=2026&min_position=abc`), 400, 'VALIDATION_ERROR');
      expectError(await app.request('GET', `${PIPELINE}?period=2026`, { auth: false }), 401, 'UNAUTHORIZED');
    });

    it('is described in the OpenAPI document', async () => {
      const res = await app.request('GET', '/openapi.json', { auth: false });
      expect(res.status).to.equal(200);
      const params = res.body.paths['/api/v1/opportunities/pipeline'].get.parameters.map((p: { name: string }) => p.name);
      expect(params).to.include.members(['period', 'owner_id', 'territory_id', 'currency']);
    });
  });
});
