import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';

/** POST /leads/{id}/sync and GET /leads/{id}/score (seed 004's upstream endpoints). */
describe('Leads: sync from Marketing over REST', function () {
  this.timeout(60_000);
  let app: TestApp;
  const rep = { userId: 'user-200', roles: ['sales_rep'] };
  before(async function () {
    this.timeout(60_000);
    app = await startTestApp();
  });
  after(async () => app?.stop());

  const body = {
    source: 'webinar',
    score: 85,
    campaign_id: 'CAMP-1',
    attribution: { first_touch: 'paid_search', last_touch: 'webinar', touches: ['paid_search', 'email', 'webinar'] },
    profile: { first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com', company: 'Globex' },
    firmographic: { industry: 'Technology', employee_count: 500, annual_revenue: '50000000.00' },
  };

  it('creates the lead once, syncs only what changed, and shows Marketing’s view beside our score', async () => {
    const first = await app.request('POST', '/api/v1/leads/L-SYNC/sync', { identity: rep, body });
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    const again = await app.request('POST', '/api/v1/leads/L-SYNC/sync', { identity: rep, body });
    expect(again.status).to.equal(200);
    // Read-your-writes: the score is read from the leads read model.
    const at = encodeURIComponent(again.body.position ?? first.body.position);
    const score = await app.request('GET', `/api/v1/leads/L-SYNC/score?min_position=${at}`, { identity: rep });
    expect(score.status).to.equal(200);
    expect(score.body).to.include({ lead_id: 'L-SYNC', marketing_score: 85, campaign_id: 'CAMP-1' });
    expect(score.body.score).to.be.a('number');
    expect(score.body.attribution).to.deep.equal(body.attribution);
    const history = (await app.request('GET', '/api/v1/leads/L-SYNC/history', { identity: rep })).body.data as { event_type: string }[];
    expect(history.map((e) => e.event_type)).to.deep.equal(['LeadCreatedEvent', 'LeadScoredEvent', 'LeadMarketingSyncedEvent']);
  });

  it('refuses a lead_id other than the path’s, a bad score, an unknown field', async () => {
    for (const bad of [{ ...body, lead_id: 'OTHER' }, { ...body, score: 101 }, { ...body, colour: 'red' }]) {
      const res = await app.request('POST', '/api/v1/leads/L-BAD/sync', { identity: rep, body: bad });
      expect(res.status, JSON.stringify(bad)).to.equal(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
    }
    expect((await app.request('GET', '/api/v1/leads/L-BAD/score', { identity: rep })).status).to.equal(404);
  });
});
