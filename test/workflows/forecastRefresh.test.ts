import { expect } from 'chai';
import { subscriptionName } from '../../src/workflows/workflow.js';
import { FORECAST_REFRESH, counts } from '../../src/workflows/forecastRefresh.js';
import { appPerSuite } from '../support/app.js';
import { eventually, restartWorkflowsFromZero } from './support.js';

/**
 * Seed 004's real-time forecast path: a stage or amount change inside an open forecast's
 * period and territory snapshots the forecast (what the finance feed publishes as
 * forecast.updated), with the breakdown the pipeline endpoint shows; once per change.
 */
describe('workflow: forecast refresh', function () {
  this.timeout(120_000);
  const suite = appPerSuite();
  const manager = { userId: 'mgr-1', roles: ['admin'] };


  /** The position of the last write: reads wait for it, or a forecast just created could still be unknown (404). */
  let position = '';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await suite.app.request(method, path, { identity: manager, body });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.be.below(300);
    if (method !== 'GET' && res.body?.position) position = res.body.position as string;
    return res.body;
  };
  type Figures = { stage: string; count: number; total_amount: string; weighted_amount: string };
  type Snapshot = { revision: string; breakdown: Figures[]; probability_weighted_amount: string };
  const snapshots = async (id: string) =>
    (await call('GET', `/api/v1/forecasts/${id}/snapshots${position ? `?min_position=${encodeURIComponent(position)}` : ''}`)).data as Snapshot[];

  it('a stage change in the period snapshots the forecast with the pipeline endpoint’s figures; a replay adds none', async () => {
    await call('POST', '/api/v1/territories', { id: 'T-EAST', name: 'East' });
    await call('POST', '/api/v1/forecasts', { id: 'FC-R1', period: 'Q3_2027', territory_id: 'T-EAST', forecast_type: 'commit', amount: '100000.00' });
    await call('POST', '/api/v1/forecasts', { id: 'FC-OTHER', period: 'Q4_2027', forecast_type: 'commit', amount: '1.00' });
    await call('POST', '/api/v1/opportunities', { id: 'OPP-R1', customer_id: 'C-R', territory_id: 'T-EAST', amount: '40000.10', stage: 'QUALIFICATION', expected_close_date: '2027-08-15' });
    await call('POST', '/api/v1/opportunities', { id: 'OPP-R2', customer_id: 'C-R', territory_id: 'T-EAST', amount: '1234.56', stage: 'PROPOSAL', expected_close_date: '2027-09-30' });
    const deals = (s: Snapshot) => s.breakdown.reduce((n, f) => n + f.count, 0);
    const stageOf = (s: Snapshot, stage: string) => s.breakdown.find((f) => f.stage === stage && f.count > 0);
    const newestOf = (all: Snapshot[]) => [...all].sort((a, b) => Number(b.revision) - Number(a.revision))[0];
    /** Waits for the newest snapshot to show what `shows` looks for; the snapshots then. */
    const refreshed = (what: string, shows: (s: Snapshot) => boolean) =>
      eventually(what, async () => {
        const all = await snapshots('FC-R1');
        return all.length > 0 && shows(newestOf(all)!) ? all : undefined;
      });
    // One snapshot per creation, or one for both when the workflow took them in one batch.
    const created = await refreshed('a snapshot showing both creations', (s) => deals(s) === 2);

    const moved = await call('PUT', '/api/v1/opportunities/OPP-R1/stage', { stage: 'NEGOTIATION' });
    expect(moved.stage).to.equal('NEGOTIATION');
    const latest = await refreshed('the refresh after the stage change', (s) => stageOf(s, 'NEGOTIATION')?.total_amount === '40000.10');
    expect(latest.length).to.be.greaterThan(created.length);
    const pipeline = await call('GET', '/api/v1/opportunities/pipeline?period=Q3_2027&territory_id=T-EAST');
    const newest = newestOf(latest)!;
    const byStage = (p: Figures[]) =>
      p.filter((s) => s.count > 0).map((s) => ({ stage: s.stage, count: s.count, total_amount: s.total_amount, weighted_amount: s.weighted_amount }));
    expect(byStage(newest.breakdown)).to.deep.equal(byStage(pipeline.by_stage));
    expect(byStage(newest.breakdown).find((s) => s.stage === 'NEGOTIATION')).to.include({ count: 1, total_amount: '40000.10' });
    expect(newest.probability_weighted_amount).to.equal(pipeline.summary.weighted_amount);
    expect((await snapshots('FC-OTHER')).length, 'a forecast of another period').to.equal(0);

    // An amount change moves the figures: a newer snapshot shows it. Once it is there, the
    // workflow has done every change before it: the count is final.
    await call('PATCH', '/api/v1/opportunities/OPP-R2', { amount: '2000.00' });
    const afterAmount = await refreshed('the refresh after the amount change', (s) => stageOf(s, 'PROPOSAL')?.total_amount === '2000.00');
    expect(afterAmount.length).to.be.greaterThan(latest.length);

    // Replaying the workflow from 0 makes no second snapshot for any change: a manual snapshot
    // taken afterwards is the only one added (the read model shows snapshots in log order).
    expect(await restartWorkflowsFromZero(suite.app, subscriptionName(FORECAST_REFRESH))).to.equal(true);
    await call('POST', '/api/v1/forecasts/FC-R1/snapshots', {});
    const final = await eventually('the manual snapshot', async () => {
      const all = await snapshots('FC-R1');
      return all.length > afterAmount.length ? all : undefined;
    });
    expect(final.length).to.equal(afterAmount.length + 1);
  });

  it('two tenants with a forecast of the same id each get their own figures', async () => {
    const inTenant = (tenantId: string) => async (method: string, path: string, body?: unknown) => {
      const res = await suite.app.request(method, path, { identity: { ...manager, tenantId }, body });
      expect(res.status, `${tenantId} ${method} ${path}: ${JSON.stringify(res.body)}`).to.be.below(300);
      return res.body;
    };
    const a = inTenant('tenant-fa');
    const b = inTenant('tenant-fb');
    for (const [call2, amount] of [[a, '111.00'], [b, '222.00']] as const) {
      await call2('POST', '/api/v1/forecasts', { id: 'FC-SAME', period: 'Q1_2028', forecast_type: 'commit', amount: '1.00' });
      await call2('POST', '/api/v1/opportunities', { id: 'OPP-SAME', customer_id: 'C-S', amount, stage: 'QUALIFICATION', expected_close_date: '2028-02-01' });
    }
    // Both deals move at once: the workflow is likely to take them in one batch.
    await Promise.all([a, b].map((c) => c('PUT', '/api/v1/opportunities/OPP-SAME/stage', { stage: 'PROPOSAL' })));
    for (const [call2, amount] of [[a, '111.00'], [b, '222.00']] as const) {
      const newest = await eventually(`the refresh of ${amount}`, async () => {
        const all = (await call2('GET', '/api/v1/forecasts/FC-SAME/snapshots')).data as Snapshot[];
        const last = [...all].sort((x, y) => Number(y.revision) - Number(x.revision))[0];
        return last?.breakdown.some((f) => f.stage === 'PROPOSAL' && f.count > 0) ? last : undefined;
      });
      const shown = newest.breakdown.filter((f) => f.count > 0);
      expect(shown, `tenant of ${amount}`).to.have.length(1);
      expect(shown[0]).to.include({ stage: 'PROPOSAL', count: 1, total_amount: amount });
    }
  });
});

describe('forecast refresh: the forecasts a deal counts in', () => {
  const q3East = { period_start: '2027-07-01', period_end: '2027-09-30', territory_id: 'T-EAST', currency: 'USD' };
  const deal = (date: string, territoryId: string | null = 'T-EAST', currency = 'USD') => ({ date, territoryId, currency });

  it('its period, both ends included', () => {
    expect(['2027-07-01', '2027-08-15', '2027-09-30'].map((d) => counts(q3East, deal(d)))).to.deep.equal([true, true, true]);
    expect(['2027-06-30', '2027-10-01'].map((d) => counts(q3East, deal(d)))).to.deep.equal([false, false]);
  });

  it('its currency and territory; a forecast without a territory takes every territory, a deal without one only those', () => {
    expect(counts(q3East, deal('2027-08-15', 'T-EAST', 'EUR'))).to.equal(false);
    expect(counts(q3East, deal('2027-08-15', 'T-WEST'))).to.equal(false);
    expect(counts(q3East, deal('2027-08-15', null))).to.equal(false);
    const everywhere = { ...q3East, territory_id: null };
    expect([counts(everywhere, deal('2027-08-15', 'T-WEST')), counts(everywhere, deal('2027-08-15', null))]).to.deep.equal([true, true]);
  });
});
