import { expect } from 'chai';
import { appPerSuite } from '../support/app.js';
import { PIPELINE, createDeals } from './pipelineHelpers.js';

/**
 * Issue 13, item 4: a pipeline as_of is what was served then, stage configuration included.
 * The answer served at each instant is recorded; the stage set then changes (stages renamed in
 * code, removed, added, reordered, probabilities changed); as_of each instant must give back the
 * answer recorded there, not today's stage list and probabilities over yesterday's deals.
 */
const STAGES = '/api/v1/pipeline/stages';
let tenantSeq = 0;
const freshTenant = () => `tenant-asof-stg-${++tenantSeq}`;
const admin = (tenantId: string) => ({ tenantId, userId: 'admin-1', roles: ['admin'] });

const DEFAULT_OPEN = [
  ['PROSPECTING', 10],
  ['QUALIFICATION', 25],
  ['PROPOSAL', 50],
  ['NEGOTIATION', 75],
] as const;

/** PROPOSAL retired (an open deal still sits in it), DEMO added, probabilities and order changed. */
const reconfigured = {
  stages: [
    { code: 'prospecting', name: 'Prospecting', order: 1, probability: 5, kind: 'open' },
    { code: 'demo', name: 'Demo', order: 2, probability: 40, kind: 'open' },
    { code: 'qualification', name: 'Qualified', order: 3, probability: 30, kind: 'open' },
    { code: 'negotiation', name: 'Negotiation', order: 4, probability: 80, kind: 'open' },
    { code: 'won', name: 'Won', order: 5, probability: 100, kind: 'won' },
    { code: 'lost', name: 'Lost', order: 6, probability: 0, kind: 'lost' },
  ],
};

/** Once the clock has passed `t`: a later event is then decided after it, never in the same millisecond. */
async function clockPast(t: Date): Promise<void> {
  while (Date.now() <= t.getTime()) await new Promise((r) => setImmediate(r));
}

describe('HTTP API: the pipeline as of a moment uses the stage configuration of that moment', function () {
  this.timeout(60_000);
  const suite = appPerSuite();

  it('as_of before and after stage configuration changes equals what was served at each time', async () => {
    const tenantId = freshTenant();
    const identity = admin(tenantId);
    const request = async (method: string, path: string, body?: unknown) => {
      const res = await suite.app.request(method, path, { identity, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
      return res.body;
    };
    // What the pipeline answers now, once its read model has this client's writes; and the instant.
    const served = async (position: string) => {
      const body = await request('GET', `${PIPELINE}?period=Q1_2026&min_position=${position}`);
      const at = new Date();
      await clockPast(at);
      return { at, body };
    };
    const asOf = async (at: Date) => {
      const { as_of: echoed, ...body } = await request('GET', `${PIPELINE}?period=Q1_2026&as_of=${encodeURIComponent(at.toISOString())}`);
      expect(echoed).to.equal(at.toISOString());
      return body;
    };

    const beforeAnything = new Date();
    await clockPast(beforeAnything);
    let position = await createDeals(
      suite.app,
      [
        { id: 'AS-1', stage: 'PROSPECTING', amount: '1000.00', close: '2026-01-20' },
        { id: 'AS-2', stage: 'QUALIFICATION', amount: '2000.00', close: '2026-02-10' },
        { id: 'AS-3', stage: 'PROPOSAL', amount: '3000.00', close: '2026-03-05' },
        { id: 'AS-4', stage: 'NEGOTIATION', amount: '4000.00', close: '2026-03-30', probability: 60 },
      ],
      { tenantId, userId: 'admin-1' },
    );

    // T0: the defaults, never configured.
    const t0 = await served(position);
    expect(t0.body.by_stage.map((s: { stage: string; probability: number }) => [s.stage, s.probability])).to.deep.equal(DEFAULT_OPEN);

    // T1: a new stage set: PROPOSAL gone (its open deal stays, with no probability), DEMO added.
    await request('PUT', STAGES, reconfigured);
    position = (await request('POST', '/api/v1/opportunities', { id: 'AS-5', customer_id: 'C', amount: '500.00', stage: 'demo', expected_close_date: '2026-02-01' })).position;
    const t1 = await served(position);
    expect(t1.body.by_stage.map((s: { stage: string; probability: number | null }) => [s.stage, s.probability])).to.deep.equal([
      ['PROSPECTING', 5],
      ['DEMO', 40],
      ['QUALIFICATION', 30],
      ['NEGOTIATION', 80],
      ['PROPOSAL', null],
    ]);

    // T2: one stage's probability edited, and no deal touched.
    await request('PATCH', `${STAGES}/negotiation`, { probability: 90 });
    const t2 = await served(position);
    expect(t2.body.by_stage.find((s: { stage: string }) => s.stage === 'NEGOTIATION').probability).to.equal(90);
    expect(t2.body.summary).to.deep.equal(t1.body.summary);

    // Each past answer is the one served then; and before anything, the defaults over no deals.
    expect(await asOf(t0.at), 'as_of T0 (defaults)').to.deep.equal(t0.body);
    expect(await asOf(t1.at), 'as_of T1 (reconfigured)').to.deep.equal(t1.body);
    expect(await asOf(t2.at), 'as_of T2 (probability edited)').to.deep.equal(t2.body);
    // The stage configuration itself as of each moment: the set served then.
    const stagesAt = async (at: Date) => request('GET', `${STAGES}?as_of=${encodeURIComponent(at.toISOString())}`);
    const codes = (set: { stages: { code: string; probability: number }[] }) => set.stages.map((s) => [s.code, s.probability]);
    expect(codes(await stagesAt(t0.at)).filter(([, p]) => p !== 100 && p !== 0)).to.deep.equal(DEFAULT_OPEN);
    expect(codes(await stagesAt(t1.at))).to.deep.include(['DEMO', 40]);
    expect(codes(await stagesAt(t1.at))).to.deep.include(['NEGOTIATION', 80]);
    expect(codes(await stagesAt(t2.at))).to.deep.include(['NEGOTIATION', 90]);
    const empty = await asOf(beforeAnything);
    expect(empty.summary).to.deep.equal({ total_count: 0, total_amount: '0.00', weighted_amount: '0.00' });
    expect(empty.by_stage).to.deep.equal(DEFAULT_OPEN.map(([stage, probability]) => ({ stage, count: 0, total_amount: '0.00', probability, weighted_amount: '0.00' })));
  });

  it("another tenant's stage configuration never shows in a tenant's past pipeline", async () => {
    const mine = freshTenant();
    const other = freshTenant();
    const position = await createDeals(suite.app, [{ id: 'ISO-1', stage: 'PROPOSAL', amount: '100.00', close: '2026-02-02' }], { tenantId: mine, userId: 'admin-1' });
    const res = await suite.app.request('GET', `${PIPELINE}?period=Q1_2026&min_position=${position}`, { identity: admin(mine) });
    const at = new Date();
    await clockPast(at);
    const changed = await suite.app.request('PUT', STAGES, { body: reconfigured, identity: admin(other) });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
    const later = await suite.app.request('GET', `${PIPELINE}?period=Q1_2026&as_of=${encodeURIComponent(new Date().toISOString())}`, { identity: admin(mine) });
    const { as_of: _echoed, ...figures } = later.body;
    expect(figures).to.deep.equal(res.body);
    expect(res.body.by_stage.map((s: { stage: string }) => s.stage)).to.deep.equal(DEFAULT_OPEN.map(([s]) => s));
  });
});
