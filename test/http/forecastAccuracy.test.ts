import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';

/** Forecast accuracy, once the forecast's period has closed, against what was actually won. */
describe('HTTP API: forecast accuracy after the period closes', function () {
  this.timeout(60_000);
  let app: TestApp;
  let position = '';
  const identity = { tenantId: 'tenant-accuracy', roles: ['sales_manager'] };
  const send = async (method: string, path: string, body: unknown) => {
    const res = await app.request(method, path, { body, identity });
    expect(res.status, `${method} ${path} ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    position = (res.body.position as string) ?? position;
    return res.body;
  };

  before(async () => {
    app = await startTestApp();
    // Q1 2025 is over: two deals won in it (T-1), one lost, one won in T-2, one won in Q2.
    const deals = [
      { id: 'W-1', amount: '600.00', territory_id: 'T-1', close: '2025-02-10', outcome: 'won' },
      { id: 'W-2', amount: '300.50', territory_id: 'T-1', close: '2025-03-31', outcome: 'won' },
      { id: 'L-1', amount: '900.00', territory_id: 'T-1', close: '2025-03-01', outcome: 'lost' },
      { id: 'W-3', amount: '50.00', territory_id: 'T-2', close: '2025-01-05', outcome: 'won' },
      { id: 'W-4', amount: '75.00', territory_id: 'T-1', close: '2025-04-01', outcome: 'won' },
    ];
    for (const d of deals) {
      await send('POST', '/api/v1/opportunities', { id: d.id, customer_id: 'C', amount: d.amount, territory_id: d.territory_id, stage: 'NEGOTIATION', expected_close_date: d.close });
      await send('POST', `/api/v1/opportunities/${d.id}/close`, { outcome: d.outcome, close_date: d.close, ...(d.outcome === 'lost' ? { reason: 'PRICE' } : {}) });
    }
  });
  after(async () => app?.stop());

  it('reports the actual won amount, attainment and accuracy of the forecast and of each snapshot', async () => {
    await send('POST', '/api/v1/forecasts', { id: 'F-Q1', period: 'Q1_2025', territory_id: 'T-1', forecast_type: 'commit', amount: '1000.00' });
    await send('POST', '/api/v1/forecasts/F-Q1/snapshots', {});
    const res = await app.request('GET', `/api/v1/forecasts/F-Q1?min_position=${position}`, { identity });
    expect(res.status).to.equal(200);
    // Actual in scope: 600.00 + 300.50 = 900.50. Attainment 900.50 / 1000 = 0.9005;
    // accuracy 1 - |1000 - 900.50| / 900.50 = 0.88950... -> 0.8895.
    expect(res.body.outcome).to.deep.equal({ actual_won_count: 2, actual_won_amount: '900.50', attainment: '0.9005', accuracy: '0.8895' });
    expect(res.body.snapshots).to.have.length(1);
    expect(res.body.snapshots[0].accuracy.amount).to.deep.equal({ attainment: '0.9005', accuracy: '0.8895' });
    const history = await app.request('GET', '/api/v1/forecasts/F-Q1/snapshots', { identity });
    expect(history.body.outcome.actual_won_amount).to.equal('900.50');
    expect(history.body.data[0].accuracy.probability_weighted_amount).to.have.keys('attainment', 'accuracy');
  });

  it('a forecast of a running period has no outcome yet', async () => {
    await send('POST', '/api/v1/forecasts', { id: 'F-NOW', period: '2099', forecast_type: 'pipeline', amount: '10.00' });
    const res = await app.request('GET', `/api/v1/forecasts/F-NOW?min_position=${position}`, { identity });
    expect(res.body.outcome).to.equal(null);
  });
});
