import BigNumber from 'bignumber.js';
import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { POSITION, expectError, fieldsOf } from './opportunityHelpers.js';
import { type Deal, PIPELINE, createDeals, expectedPipeline } from './pipelineHelpers.js';

const FORECASTS = '/api/v1/forecasts';

/** pipeline / amount to 2 decimals, half up, computed here rather than by the service. */
const coverage = (pipeline: string, amount: string) =>
  new BigNumber(pipeline).div(amount).decimalPlaces(2, BigNumber.ROUND_HALF_UP).toFixed(2);

/**
 * The Forecast API against the real service: the seed 004 create response with the current
 * pipeline and its coverage (equal to the pipeline endpoint's figure), adjustments, snapshots
 * with their breakdown, locking, listing, errors and tenancy.
 */
describe('HTTP API: forecasts', function () {
  this.timeout(60_000);
  let app: TestApp;
  let position = '';

  const deals: Deal[] = [
    { id: 'F-1', stage: 'QUALIFICATION', amount: '2000000.00', close: '2026-01-20', owner: 'O1', territory: 'T1' },
    { id: 'F-2', stage: 'NEGOTIATION', amount: '3500000.55', close: '2026-03-31', owner: 'O2', territory: 'T1' },
    { id: 'F-3', stage: 'PROPOSAL', amount: '3000000.00', close: '2026-02-10', owner: 'O1', territory: 'T1', probability: 35 },
    { id: 'F-4', stage: 'PROSPECTING', amount: '0.10', close: '2026-02-11', owner: 'O1', territory: 'T1' },
    { id: 'F-5', stage: 'NEGOTIATION', amount: '700000.00', close: '2026-02-10', owner: 'O1', territory: 'T2' },
    { id: 'F-6', stage: 'NEGOTIATION', amount: '900000.00', close: '2026-04-02', owner: 'O1', territory: 'T1' },
    { id: 'F-7', stage: 'NEGOTIATION', amount: '100000.00', close: '2026-02-10', owner: 'O1', territory: 'T1', outcome: 'won' },
  ];
  const Q1 = { from: '2026-01-01', until: '2026-04-01' };

  const create = (body: Record<string, unknown>, options: { identity?: { tenantId?: string; userId?: string }; headers?: Record<string, string> } = {}) =>
    app.request('POST', FORECASTS, {
      body,
      headers: { 'x-min-position': position, ...options.headers },
      ...(options.identity ? { identity: options.identity } : {}),
    });

  const pipelineOf = async (query: string, identity?: { tenantId: string }) => {
    const res = await app.request('GET', `${PIPELINE}?${query}&min_position=${encodeURIComponent(position)}`, identity ? { identity } : {});
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  };

  /** Waits for the forecast's read model to count `n` snapshots (the refresh workflow's come asynchronously). */
  const snapshotsReach = async (id: string, n: number, identity?: { tenantId: string }) => {
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const res = await app.request('GET', `${FORECASTS}/${id}`, identity ? { identity } : {});
      if (res.body.snapshot_count >= n) return;
      if (Date.now() > deadline) expect.fail(`${id} never reached ${n} snapshots (has ${res.body.snapshot_count})`);
    }
  };
  const history = async (id: string, identity?: { tenantId: string }) => {
    const res = await app.request('GET', `${FORECASTS}/${id}/history`, identity ? { identity } : {});
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.data as any[];
  };

  before(async function () {
    this.timeout(120_000);
    app = await startTestApp();
    position = await createDeals(app, deals);
  });
  after(async function () {
    this.timeout(60_000);
    await app?.stop();
  });

  describe('create (seed 004)', () => {
    it('ACCEPTANCE: current_pipeline is the pipeline endpoint’s figure for the period and territory; coverage = pipeline / amount', async () => {
      const res = await create({
        period: 'Q1_2026',
        territory_id: 'T1',
        forecast_type: 'commit',
        amount: 5000000.0,
        notes: 'Conservative estimate based on pipeline coverage',
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const b = res.body;
      expect(b).to.include.all.keys('id', 'period', 'forecast_type', 'amount', 'current_pipeline', 'pipeline_coverage', 'created_at');
      expect(b).to.include({ period: 'Q1_2026', forecast_type: 'commit', amount: '5000000.00', territory_id: 'T1', currency: 'USD', owner_id: 'user-200', status: 'open', revision: '0' });
      expect(res.headers.get('location')).to.equal(`${FORECASTS}/${b.id}`);
      expect(res.headers.get('etag')).to.equal('"0"');
      expect(b.position).to.match(POSITION);
      expect(Number.isNaN(Date.parse(b.created_at))).to.equal(false);

      const pipeline = await pipelineOf('period=Q1_2026&territory_id=T1');
      expect(b.current_pipeline).to.be.a('string').and.equal(pipeline.summary.total_amount);
      // And both are the independent computation over the deals created above: F-1..F-4 (T1, open, Q1).
      expect(b.current_pipeline).to.equal(expectedPipeline(deals, { ...Q1, territory: 'T1' }).summary.total_amount);
      expect(b.current_pipeline).to.equal('8500000.65');
      expect(b.pipeline_coverage).to.equal(coverage(b.current_pipeline, b.amount));
      expect(b.pipeline_coverage).to.equal('1.70');
    });

    it('without a territory the pipeline of every territory counts (an admin’s own forecast: the tenant’s deals)', async () => {
      const res = await create({ period: 'q1_2026', forecast_type: 'BEST_CASE', amount: '3000000.00' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const pipeline = await pipelineOf('period=Q1_2026');
      expect(res.body).to.include({ period: 'Q1_2026', forecast_type: 'best_case', owner_id: 'user-200', territory_id: null });
      expect(res.body.current_pipeline).to.equal(pipeline.summary.total_amount);
      expect(res.body.current_pipeline).to.equal(expectedPipeline(deals, Q1).summary.total_amount);
      expect(res.body.pipeline_coverage).to.equal(coverage(pipeline.summary.total_amount, '3000000.00'));
      expect(res.body.pipeline_coverage).to.equal('3.07'); // 9200000.65 / 3000000 = 3.0666…
    });

    it('a forecast created for someone else measures that owner’s deals, whoever reads or snapshots it', async () => {
      const res = await create({ period: 'q1_2026', forecast_type: 'BEST_CASE', amount: '3000000.00', owner_id: 'O2' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ owner_id: 'O2', current_pipeline: (await pipelineOf('period=Q1_2026&owner_id=O2')).summary.total_amount });
      expect(res.body.current_pipeline).to.equal('3500000.55');
      const snapshot = await app.request('POST', `${FORECASTS}/${res.body.id}/snapshots`, { body: {}, headers: { 'x-min-position': position } });
      expect(snapshot.body.snapshot.total_amount).to.equal('3500000.55');
      const asOwner = await app.request('GET', `${FORECASTS}/${res.body.id}?min_position=${snapshot.body.position}`, { identity: { userId: 'O2', roles: ['sales_rep'] } });
      expect(asOwner.status, JSON.stringify(asOwner.body)).to.equal(200);
      expect(asOwner.body).to.include({ current_pipeline: '3500000.55' });
      expect(asOwner.body.snapshots[0]).to.include({ total_amount: '3500000.55' });
    });

    it('a month, another currency, an amount of 0 (coverage null) and an empty pipeline (coverage 0.00)', async () => {
      const march = await create({ period: '2026-03', territory_id: 'T1', forecast_type: 'pipeline', amount: '1000000.00' });
      expect(march.status, JSON.stringify(march.body)).to.equal(201);
      expect(march.body.current_pipeline).to.equal((await pipelineOf('period=2026-03&territory_id=T1')).summary.total_amount);
      expect(march.body.current_pipeline).to.equal('3500000.55');
      expect(march.body.pipeline_coverage).to.equal('3.50');

      const zero = await create({ period: 'Q1_2026', territory_id: 'T1', forecast_type: 'commit', amount: 0 });
      expect(zero.status, JSON.stringify(zero.body)).to.equal(201);
      expect(zero.body).to.include({ amount: '0.00', current_pipeline: '8500000.65', pipeline_coverage: null });

      const eur = await create({ period: 'Q1_2026', territory_id: 'T1', forecast_type: 'commit', amount: '10.00', currency: 'eur' });
      expect(eur.status, JSON.stringify(eur.body)).to.equal(201);
      expect(eur.body).to.include({ currency: 'EUR', current_pipeline: '0.00', pipeline_coverage: '0.00' });
    });

    it('Idempotency-Key replays the same response; a client id makes the forecast addressable', async () => {
      const body = { id: 'FC-IDEM', period: 'Q1_2026', forecast_type: 'commit', amount: '1.00' };
      const first = await create(body, { headers: { 'idempotency-key': 'fc-key-1' } });
      const again = await create(body, { headers: { 'idempotency-key': 'fc-key-1' } });
      expect(first.status).to.equal(201);
      expect(again.status).to.equal(201);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.body).to.deep.equal(first.body);
      expect(await history('FC-IDEM')).to.have.length(1);
      expectError(await create(body), 409, 'CONFLICT');
    });

    it('validation errors name the fields; nothing is recorded', async () => {
      const valid = { id: 'FC-BAD', period: 'Q1_2026', forecast_type: 'commit', amount: '1.00' };
      const fields = async (body: Record<string, unknown>) => fieldsOf(expectError(await create(body), 400, 'VALIDATION_ERROR'));
      expect(await fields({ ...valid, period: undefined })).to.deep.equal(['period']);
      for (const period of ['Q5_2026', '2026-13', 'next quarter', 2026]) expect(await fields({ ...valid, period }), String(period)).to.deep.equal(['period']);
      expect(await fields({ ...valid, forecast_type: 'hopeful' })).to.deep.equal(['forecast_type']);
      expect(await fields({ ...valid, forecast_type: undefined })).to.deep.equal(['forecast_type']);
      for (const amount of ['-1.00', -5, '1.005', 'abc', null]) expect(await fields({ ...valid, amount }), String(amount)).to.deep.equal(['amount']);
      expect(await fields({ ...valid, currency: 'XXY' })).to.deep.equal(['currency']);
      expect(await fields({ ...valid, territory_id: 'a b' })).to.deep.equal(['territory_id']);
      expect(await fields({ ...valid, colour: 'red' })).to.deep.equal(['colour']);
      expect(await fields({ ...valid, id: 'A', forecast_id: 'B' })).to.deep.equal(['id']);
      expectError(await app.request('GET', `${FORECASTS}/FC-BAD/history`), 404, 'NOT_FOUND');
      expectError(await app.request('POST', FORECASTS, { body: valid, auth: false }), 401, 'UNAUTHORIZED');
    });
  });

  describe('read, adjust, snapshot, lock', () => {
    let id = '';
    before(async () => {
      const res = await create({ id: 'FC-Q1-T1', period: 'Q1_2026', territory_id: 'T1', forecast_type: 'commit', amount: '5000000.00', notes: 'first' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      id = res.body.id;
      position = res.body.position;
    });

    it('GET /:id: the read model with the live pipeline coverage and its snapshots', async () => {
      const res = await app.request('GET', `${FORECASTS}/${id}?min_position=${encodeURIComponent(position)}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.headers.get('etag')).to.equal('"0"');
      expect(res.body).to.include({
        id,
        period: 'Q1_2026',
        period_start: '2026-01-01',
        period_end: '2026-03-31',
        territory_id: 'T1',
        owner_id: 'user-200',
        forecast_type: 'commit',
        amount: '5000000.00',
        currency: 'USD',
        notes: 'first',
        status: 'open',
        snapshot_count: 0,
        current_pipeline: '8500000.65',
        pipeline_coverage: '1.70',
        created_by: 'user-200',
      });
      expect(res.body.snapshots).to.deep.equal([]);
    });

    it('adjust: records from, to, reason and actor; the same amount or no reason is refused', async () => {
      const res = await app.request('POST', `${FORECASTS}/${id}/adjust`, {
        body: { amount: '4250000.00', reason: 'Lost a deal' },
        headers: { 'if-match': '"0"' },
        identity: { userId: 'user-mgr' },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ id, amount: '4250000.00', revision: '1' });
      expect(res.headers.get('etag')).to.equal('"1"');

      const events = await history(id);
      expect(events.map((e) => e.event_type)).to.deep.equal(['ForecastCreatedEvent', 'ForecastAdjustedEvent']);
      expect(events[1]).to.deep.include({ actor: 'user-mgr', revision: '1' });
      expect(events[1].changes).to.deep.equal({ forecast_id: id, from_amount: '5000000.00', to_amount: '4250000.00', reason: 'Lost a deal' });
      expect(events[0].actor).to.equal('user-200');

      const same = expectError(await app.request('POST', `${FORECASTS}/${id}/adjust`, { body: { amount: '4250000', reason: 'again' } }), 400, 'VALIDATION_ERROR');
      expect(same.details).to.deep.equal({ field: 'amount', current_amount: '4250000.00' });
      expect(fieldsOf(expectError(await app.request('POST', `${FORECASTS}/${id}/adjust`, { body: { amount: '1.00' } }), 400, 'VALIDATION_ERROR'))).to.deep.equal(['reason']);
      expect(fieldsOf(expectError(await app.request('POST', `${FORECASTS}/${id}/adjust`, { body: { amount: '1.00', reason: '  ' } }), 400, 'VALIDATION_ERROR'))).to.deep.equal(['reason']);
      expect(fieldsOf(expectError(await app.request('POST', `${FORECASTS}/${id}/adjust`, { body: { amount: '-1', reason: 'x' } }), 400, 'VALIDATION_ERROR'))).to.deep.equal(['amount']);
      expectError(await app.request('POST', `${FORECASTS}/${id}/adjust`, { body: { amount: '1.00', reason: 'stale' }, headers: { 'if-match': '"0"' } }), 409, 'CONFLICT');
      expectError(await app.request('POST', `${FORECASTS}/NOPE/adjust`, { body: { amount: '1.00', reason: 'x' } }), 404, 'NOT_FOUND');
      expect(await history(id)).to.have.length(2);
    });

    it('snapshots: the breakdown is the pipeline endpoint’s by_stage; each snapshot is recorded', async () => {
      const res = await app.request('POST', `${FORECASTS}/${id}/snapshots`, { headers: { 'x-min-position': position } });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const pipeline = await pipelineOf('period=Q1_2026&territory_id=T1');
      const s = res.body.snapshot;
      expect(s).to.include({
        forecast_id: id,
        period: 'Q1_2026',
        territory_id: 'T1',
        forecast_type: 'commit',
        currency: 'USD',
        amount: '4250000.00',
        probability_weighted_amount: pipeline.summary.weighted_amount,
        total_amount: pipeline.summary.total_amount,
        total_count: pipeline.summary.total_count,
      });
      expect(s.breakdown).to.deep.equal(
        pipeline.by_stage.map((b: Record<string, unknown>) => ({ stage: b.stage, count: b.count, total_amount: b.total_amount, weighted_amount: b.weighted_amount })),
      );
      // Independently: F-1 500000.00, F-2 2625000.41 (2625000.4125), F-3 at 35 % 1050000.00, F-4 0.01 (0.01).
      expect(s.probability_weighted_amount).to.equal('4175000.42');
      expect(s.probability_weighted_amount).to.equal(expectedPipeline(deals, { ...Q1, territory: 'T1' }).summary.weighted_amount);
      expect(res.body).to.include({ current_pipeline: '8500000.65', pipeline_coverage: coverage('8500000.65', '4250000.00'), revision: '2' });

      // The pipeline grows; a second snapshot records the new figures beside the first.
      const more: Deal = { id: 'F-8', stage: 'PROPOSAL', amount: '100.00', close: '2026-03-01', territory: 'T1' };
      position = await createDeals(app, [more]);
      // The forecast-refresh workflow snapshots the grown pipeline by itself (seed 004's real-time path).
      await snapshotsReach(id, 2);
      const second = await app.request('POST', `${FORECASTS}/${id}/snapshots`, { body: {}, headers: { 'x-min-position': position } });
      expect(second.status, JSON.stringify(second.body)).to.equal(201);
      expect(second.body.snapshot).to.include({ total_amount: '8500100.65', probability_weighted_amount: '4175050.42', total_count: 5 });
      position = second.body.position;

      const detail = await app.request('GET', `${FORECASTS}/${id}?min_position=${encodeURIComponent(position)}`);
      expect(detail.status).to.equal(200);
      expect(detail.body.snapshot_count).to.equal(3);
      expect(detail.body.snapshots.map((x: { total_amount: string }) => x.total_amount)).to.deep.equal(['8500100.65', '8500100.65', '8500000.65']);
      expect(detail.body.snapshots[2].breakdown).to.deep.equal(s.breakdown);
      expect(detail.body.snapshots[0].id).to.equal(second.body.snapshot.id);

      const page = await app.request('GET', `${FORECASTS}/${id}/snapshots?limit=1&offset=2`);
      expect(page.status).to.equal(200);
      expect(page.body.pagination).to.deep.equal({ total: 3, limit: 1, offset: 2, has_more: false });
      expect(page.body.data[0].id).to.equal(s.id);

      const events = await history(id);
      expect(events.map((e) => e.event_type)).to.deep.equal([
        'ForecastCreatedEvent',
        'ForecastAdjustedEvent',
        'ForecastSnapshotCreatedEvent',
        'ForecastSnapshotCreatedEvent',
        'ForecastSnapshotCreatedEvent',
      ]);
      expect(events[3].actor).to.equal('system:workflow:forecast-refresh');
      expect(events[2].changes.generated_at).to.be.a('string');
      expectError(await app.request('POST', `${FORECASTS}/${id}/snapshots`, { body: { amount: 1 } }), 400, 'VALIDATION_ERROR');
      expectError(await app.request('POST', `${FORECASTS}/NOPE/snapshots`), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${FORECASTS}/NOPE/snapshots`), 404, 'NOT_FOUND');
    });

    it('lock: no adjustment or snapshot afterwards; locking again changes nothing', async () => {
      const locked = await app.request('POST', `${FORECASTS}/${id}/lock`, { body: { reason: 'Quarter closed' } });
      expect(locked.status, JSON.stringify(locked.body)).to.equal(200);
      expect(locked.body).to.include({ status: 'locked', revision: '5' });
      expectError(await app.request('POST', `${FORECASTS}/${id}/adjust`, { body: { amount: '1.00', reason: 'late' } }), 409, 'CONFLICT');
      expectError(await app.request('POST', `${FORECASTS}/${id}/snapshots`), 409, 'CONFLICT');
      const again = await app.request('POST', `${FORECASTS}/${id}/lock`);
      expect(again.status).to.equal(200);
      expect(again.body.revision).to.equal('5');
      const detail = await app.request('GET', `${FORECASTS}/${id}?min_position=${encodeURIComponent(locked.body.position)}`);
      expect(detail.body).to.include({ status: 'locked', locked_by: 'user-200', snapshot_count: 3 });
      expect((await history(id)).map((e) => e.event_type).at(-1)).to.equal('ForecastLockedEvent');
    });

    it('GET /:id of an unknown forecast → 404; a bad id → 400', async () => {
      expectError(await app.request('GET', `${FORECASTS}/NOPE`), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${FORECASTS}/${encodeURIComponent('a b')}`), 400, 'VALIDATION_ERROR');
    });
  });

  describe('list', () => {
    let last = '';
    before(async () => {
      for (const body of [
        { id: 'L-1', period: 'Q2_2026', territory_id: 'T9', forecast_type: 'commit', amount: '1.00' },
        { id: 'L-2', period: 'Q2_2026', territory_id: 'T9', forecast_type: 'best_case', amount: '2.00' },
        { id: 'L-3', period: 'Q2_2026', territory_id: 'T8', forecast_type: 'commit', amount: '3.00' },
        { id: 'L-4', period: '2026-05', territory_id: 'T9', forecast_type: 'commit', amount: '4.00' },
      ]) {
        const res = await create(body);
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        last = res.body.position;
      }
    });
    const ids = async (query: string) => {
      const res = await app.request('GET', `${FORECASTS}?${query}&min_position=${encodeURIComponent(last)}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return (res.body.data as { id: string }[]).map((f) => f.id).sort();
    };

    it('filters by period (any spelling), territory, type (any case); paginates', async () => {
      expect(await ids('period=Q2_2026')).to.deep.equal(['L-1', 'L-2', 'L-3']);
      expect(await ids('period=2026-q2')).to.deep.equal(['L-1', 'L-2', 'L-3']);
      expect(await ids('period=Q2_2026&territory_id=T9')).to.deep.equal(['L-1', 'L-2']);
      expect(await ids('period=Q2_2026&forecast_type=COMMIT')).to.deep.equal(['L-1', 'L-3']);
      expect(await ids('territory_id=T9&forecast_type=best-case')).to.deep.equal(['L-2']);
      expect(await ids('period=2026-05')).to.deep.equal(['L-4']);
      const page = await app.request('GET', `${FORECASTS}?period=Q2_2026&limit=2&offset=0`);
      expect(page.body.pagination).to.deep.equal({ total: 3, limit: 2, offset: 0, has_more: true });
      expect(page.body.data).to.have.length(2);
      expect(page.body.data[0]).to.include.keys('id', 'period', 'territory_id', 'forecast_type', 'amount', 'currency', 'status', 'snapshot_count');
    });

    it('GET /forecasts/period/:period: seed 004’s “forecast for period”', async () => {
      const res = await app.request('GET', `${FORECASTS}/period/q2_2026?territory_id=T9`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.period).to.equal('Q2_2026');
      expect((res.body.data as { id: string }[]).map((f) => f.id).sort()).to.deep.equal(['L-1', 'L-2']);
      expect(fieldsOf(expectError(await app.request('GET', `${FORECASTS}/period/Q9_2026`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['period']);
    });

    it('bad filters → 400 naming them', async () => {
      expect(fieldsOf(expectError(await app.request('GET', `${FORECASTS}?period=soon`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['period']);
      expect(fieldsOf(expectError(await app.request('GET', `${FORECASTS}?forecast_type=maybe`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['forecast_type']);
      expect(fieldsOf(expectError(await app.request('GET', `${FORECASTS}?limit=0`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['limit']);
      expect(fieldsOf(expectError(await app.request('GET', `${FORECASTS}?status=closed`), 400, 'VALIDATION_ERROR'))).to.deep.equal(['status']);
    });
  });

  describe('tenancy', () => {
    it('another tenant sees none of these forecasts, cannot touch them, and has its own pipeline', async () => {
      const other = { tenantId: 'tenant-002' };
      expectError(await app.request('GET', `${FORECASTS}/FC-Q1-T1`, { identity: other }), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${FORECASTS}/FC-Q1-T1/history`, { identity: other }), 404, 'NOT_FOUND');
      expectError(await app.request('GET', `${FORECASTS}/FC-Q1-T1/snapshots`, { identity: other }), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${FORECASTS}/FC-Q1-T1/adjust`, { body: { amount: '1.00', reason: 'x' }, identity: other }), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${FORECASTS}/FC-Q1-T1/snapshots`, { identity: other }), 404, 'NOT_FOUND');
      expectError(await app.request('POST', `${FORECASTS}/FC-Q1-T1/lock`, { identity: other }), 404, 'NOT_FOUND');
      const list = await app.request('GET', `${FORECASTS}?period=Q1_2026`, { identity: other });
      expect(list.status).to.equal(200);
      expect(list.body.data).to.deep.equal([]);

      // The same id in another tenant is another forecast, measured against that tenant's pipeline only.
      const mine = await create({ id: 'FC-Q1-T1', period: 'Q1_2026', territory_id: 'T1', forecast_type: 'commit', amount: '100.00' }, { identity: other });
      expect(mine.status, JSON.stringify(mine.body)).to.equal(201);
      expect(mine.body).to.include({ current_pipeline: '0.00', pipeline_coverage: '0.00', revision: '0' });
      position = await createDeals(app, [{ id: 'X-1', stage: 'PROPOSAL', amount: '50.00', close: '2026-02-01', territory: 'T1' }], other);
      await snapshotsReach('FC-Q1-T1', 1, other); // the refresh of that tenant's forecast
      const snap = await app.request('POST', `${FORECASTS}/FC-Q1-T1/snapshots`, { identity: other, headers: { 'x-min-position': position } });
      expect(snap.status, JSON.stringify(snap.body)).to.equal(201);
      expect(snap.body.snapshot).to.include({ total_amount: '50.00', probability_weighted_amount: '25.00', total_count: 1 });
      expect(snap.body).to.include({ current_pipeline: '50.00', pipeline_coverage: '0.50' });
      // tenant-001's forecast of the same id is untouched.
      expect(await history('FC-Q1-T1')).to.have.length(6);
      expect(await history('FC-Q1-T1', other)).to.have.length(3);
    });
  });

  it('every forecast route is in the OpenAPI document', async () => {
    const res = await app.request('GET', '/openapi.json', { auth: false });
    const paths = Object.keys(res.body.paths);
    expect(paths).to.include.members([
      '/api/v1/forecasts',
      '/api/v1/forecasts/period/{period}',
      '/api/v1/forecasts/{id}',
      '/api/v1/forecasts/{id}/adjust',
      '/api/v1/forecasts/{id}/snapshots',
      '/api/v1/forecasts/{id}/lock',
      '/api/v1/forecasts/{id}/history',
    ]);
  });
});
