import BigNumber from 'bignumber.js';
import { expect } from 'chai';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { type TestApp, startTestApp } from '../support/app.js';

/**
 * Win/loss and sales metrics over a generated data set, checked against figures computed here
 * independently, straight from the raw events in the store.
 */
describe('HTTP API: win/loss and sales metrics', function () {
  this.timeout(90_000);
  let app: TestApp;
  let lastPosition = '';
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const owners = ['rep-a', 'rep-b', 'rep-c'];
  const reasons = ['PRICE', 'COMPETITOR', 'NO_BUDGET'];

  async function send(method: string, path: string, body: unknown) {
    const res = await app.request(method, path, { body, identity: { tenantId: 'tenant-analytics' } });
    expect(res.status, `${method} ${path} ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    lastPosition = res.body.position as string;
  }

  before(async () => {
    app = await startTestApp();
    for (let i = 0; i < 60; i++) {
      const id = `G-${i}`;
      const month = 1 + Math.floor(random() * 6);
      await send('POST', '/api/v1/opportunities', {
        id,
        customer_id: `C-${i % 5}`,
        owner_id: pick(owners),
        amount: `${Math.floor(random() * 100000)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`,
        currency: i % 10 === 9 ? 'EUR' : 'USD',
        stage: 'PROSPECTING',
        expected_close_date: `2026-0${month}-15`,
      });
      const path = random() < 0.7 ? ['QUALIFICATION', 'PROPOSAL'] : ['QUALIFICATION'];
      for (const stage of path) await send('PUT', `/api/v1/opportunities/${id}/stage`, { stage });
      if (random() < 0.25) await send('PATCH', `/api/v1/opportunities/${id}`, { expected_close_date: `2026-0${Math.min(9, month + 3)}-01` });
      const fate = random();
      const closeDate = `2026-0${month}-${String(1 + Math.floor(random() * 27)).padStart(2, '0')}`;
      if (fate < 0.4) await send('POST', `/api/v1/opportunities/${id}/close`, { outcome: 'won', close_date: closeDate });
      else if (fate < 0.7) await send('POST', `/api/v1/opportunities/${id}/close`, { outcome: 'lost', close_date: closeDate, reason: pick(reasons) });
    }
  });
  after(async () => app?.stop());

  /** The independent computation: fold the raw events of each opportunity here. */
  async function fromEvents() {
    const store = createPostgresEventStore({ connection: app.database.url });
    const opps = new Map<string, { owner: string; currency: string; amount: string; status: string; closeDate?: string; reason?: string; expected: (string | null)[] }>();
    try {
      const events = await store.readAll({ filter: { streamPrefixes: ['opportunity-tenant-analytics:'] }, maxCount: 10_000 });
      for (const e of events) {
        const id = e.streamId.split(':')[1]!;
        const d = e.data as Record<string, string | null>;
        if (e.eventType === 'OpportunityCreatedEvent') {
          opps.set(id, { owner: d.ownerId!, currency: d.currency!, amount: d.amount!, status: 'open', expected: [d.expectedCloseDate ?? null] });
        }
        const o = opps.get(id)!;
        if (e.eventType === 'OpportunityClosedWonEvent') Object.assign(o, { status: 'won', closeDate: d.closeDate });
        if (e.eventType === 'OpportunityClosedLostEvent') Object.assign(o, { status: 'lost', closeDate: d.closeDate, reason: d.reason });
        if (e.eventType === 'OpportunityUpdatedEvent' && 'expectedCloseDate' in d) o.expected.push(d.expectedCloseDate ?? null);
      }
    } finally {
      await store.close();
    }
    return [...opps.entries()].map(([id, o]) => ({ id, ...o }));
  }

  const rate = (a: BigNumber, b: BigNumber) => (b.isZero() ? null : a.div(b).decimalPlaces(4, BigNumber.ROUND_HALF_UP).toFixed(4));
  const sum = (xs: { amount: string }[]) => xs.reduce((s, x) => s.plus(x.amount), new BigNumber(0));

  it('win/loss for a quarter equals the figures computed from the raw events', async () => {
    const res = await app.request('GET', `/api/v1/analytics/win-loss?period=Q1_2026&min_position=${lastPosition}`, { identity: { tenantId: 'tenant-analytics' } });
    expect(res.status).to.equal(200);
    const closed = (await fromEvents()).filter((o) => o.currency === 'USD' && o.closeDate && o.closeDate >= '2026-01-01' && o.closeDate < '2026-04-01');
    const won = closed.filter((o) => o.status === 'won');
    const lost = closed.filter((o) => o.status === 'lost');
    expect(won.length + lost.length, 'the generated set has closed deals in Q1').to.be.greaterThan(5);
    expect(res.body.overall).to.deep.equal({
      won_count: won.length,
      lost_count: lost.length,
      win_rate_by_count: rate(new BigNumber(won.length), new BigNumber(closed.length)),
      won_amount: sum(won).toFixed(2),
      lost_amount: sum(lost).toFixed(2),
      win_rate_by_value: rate(sum(won), sum(closed)),
    });
    for (const owner of owners) {
      const mine = closed.filter((o) => o.owner === owner);
      const row = (res.body.by_owner as { owner_id: string; won_count: number; won_amount: string }[]).find((r) => r.owner_id === owner);
      if (mine.length === 0) continue;
      expect(row, owner).to.deep.include({ won_count: mine.filter((o) => o.status === 'won').length, won_amount: sum(mine.filter((o) => o.status === 'won')).toFixed(2) });
    }
    for (const reason of reasons) {
      const mine = lost.filter((o) => o.reason === reason);
      const row = (res.body.by_loss_reason as { reason: string; count: number; amount: string }[]).find((r) => r.reason === reason);
      if (mine.length === 0) expect(row).to.equal(undefined);
      else expect(row).to.deep.equal({ reason, count: mine.length, amount: sum(mine).toFixed(2) });
    }
    const months = (res.body.by_period as { period: string; won_count: number }[]).map((p) => p.period);
    expect(months.every((m) => ['2026-01', '2026-02', '2026-03'].includes(m))).to.equal(true);
  });

  it('sales metrics: average deal size and slipped deals equal the raw-event figures', async () => {
    const res = await app.request('GET', `/api/v1/analytics/sales-metrics?period=2026&min_position=${lastPosition}`, { identity: { tenantId: 'tenant-analytics' } });
    expect(res.status).to.equal(200);
    const opps = (await fromEvents()).filter((o) => o.currency === 'USD');
    const won = opps.filter((o) => o.status === 'won');
    expect(res.body.won_count).to.equal(won.length);
    expect(res.body.average_deal_size).to.equal(sum(won).div(won.length).decimalPlaces(2, BigNumber.ROUND_HALF_UP).toFixed(2));
    const q2 = await app.request('GET', `/api/v1/analytics/sales-metrics?period=Q2_2026`, { identity: { tenantId: 'tenant-analytics' } });
    const slipped = opps.filter((o) => o.expected.some((d, i) => d !== null && d >= '2026-04-01' && d < '2026-07-01' && (o.expected[i + 1] ?? '') >= '2026-07-01'));
    expect(slipped.length, 'the generated set has slipped deals').to.be.greaterThan(0);
    expect(q2.body.slipped_deals.opportunities).to.deep.equal(slipped.map((o) => o.id).sort());
    expect(q2.body.slipped_deals.amount).to.equal(sum(slipped).toFixed(2));
    // Every open stage reports a conversion; PROSPECTING -> QUALIFICATION happened for all.
    const prospecting = (res.body.stage_conversion as { stage: string; entered: number; advanced: number; conversion_rate: string }[]).find((s) => s.stage === 'PROSPECTING')!;
    expect(prospecting.entered).to.equal(opps.length);
    expect(prospecting.advanced).to.equal(opps.length);
    expect(prospecting.conversion_rate).to.equal('1.0000');
    expect((res.body.time_in_stage as { stage: string; samples: number }[]).find((t) => t.stage === 'PROSPECTING')!.samples).to.equal(opps.length);
  });

  it('refuses a bad period or currency, and keeps tenants apart', async () => {
    for (const q of ['period=Q5_2026', 'currency=XXY']) {
      const res = await app.request('GET', `/api/v1/analytics/win-loss?${q}`, { identity: { tenantId: 'tenant-analytics' } });
      expect(res.status, q).to.equal(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
    }
    const other = await app.request('GET', '/api/v1/analytics/win-loss?period=2026', { identity: { tenantId: 'tenant-elsewhere' } });
    expect(other.body.overall).to.deep.include({ won_count: 0, lost_count: 0, win_rate_by_count: null });
  });
});
