import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { workflowsSettled } from '../support/settled.js';
import { gql } from './support.js';

/**
 * REST and GraphQL answer from the same use cases and read models: the same record agrees field
 * for field; and a page of 200 opportunities with account, owner and territory costs a fixed
 * number of SQL statements (batched), not one per row.
 */
describe('GraphQL API: agreement with REST, and batched loading', function () {
  this.timeout(120_000);
  let app: TestApp;
  let position = '';
  const T = 'tenant-gql-agree';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const rest = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(method, path, { identity: admin, ...(body !== undefined ? { body } : {}) });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.be.below(300);
    if (res.body?.position) position = res.body.position;
    return res.body;
  };

  before(async () => {
    app = await startTestApp();
    for (let i = 0; i < 5; i++) await rest('POST', '/api/v1/territories', { id: `T-${i}`, name: `Territory ${i}`, owner_id: `mgr-${i}` });
    for (let i = 0; i < 20; i++) await rest('POST', '/api/v1/customers', { id: `A-${i}`, name: `Account ${i}` });
    for (let start = 0; start < 200; start += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, k) => {
          const i = start + k;
          return rest('POST', '/api/v1/opportunities', {
            id: `P-${String(i).padStart(3, '0')}`,
            customer_id: `A-${i % 20}`,
            territory_id: `T-${i % 5}`,
            owner_id: `rep-${i % 7}`,
            amount: `${1000 + i}.25`,
            expected_close_date: '2026-03-31',
          });
        }),
      );
    }
    await rest('POST', '/api/v1/leads', { id: 'L-1', source: 'web', email: 'l@example.com', company: 'Acme', territory_id: 'T-1' });
    await rest('POST', '/api/v1/forecasts', { id: 'F-1', period: 'Q1_2026', forecast_type: 'best_case', amount: '5000.00' });
    await rest('PUT', '/api/v1/opportunities/P-007/stage', { stage: 'proposal', next_step: 'send quote' });
    // Read-your-writes: every list below holds the writes above.
    await rest('GET', `/api/v1/opportunities?min_position=${position}`);
    await rest('GET', `/api/v1/leads?min_position=${position}`);
    await rest('GET', `/api/v1/forecasts?min_position=${position}`);
    // The workflows (segmentation re-evaluates these accounts) query the same pool the page is measured on.
    await workflowsSettled(app);
  });
  after(async () => app?.stop());

  /** The REST field (snake_case) for each GraphQL field, asserted equal. */
  function agree(restBody: Record<string, unknown>, graphqlBody: Record<string, unknown>, fields: Record<string, string>) {
    for (const [g, r] of Object.entries(fields)) expect(graphqlBody[g], `${g} = ${r}`).to.deep.equal(restBody[r]);
  }

  it('an opportunity, a lead, a territory, a forecast and the pipeline agree field for field', async () => {
    const o = await rest('GET', '/api/v1/opportunities/P-007');
    const go = (await gql(app, admin, '{ opportunities(ownerId: "rep-0", limit: 200) { nodes { id name stage amount currency probability expectedCloseDate closeDate nextStep dealScore revision createdAt updatedAt status owner { id } account { id } territory { id } } } }')).data.opportunities.nodes.find((n: { id: string }) => n.id === 'P-007');
    agree(o, go, { id: 'id', name: 'name', stage: 'stage', amount: 'amount', currency: 'currency', probability: 'probability', expectedCloseDate: 'expected_close_date', closeDate: 'close_date', nextStep: 'next_step', dealScore: 'deal_score', revision: 'revision', createdAt: 'created_at', updatedAt: 'updated_at' });
    expect(go.status.toLowerCase()).to.equal(o.status);
    expect([go.owner.id, go.account.id, go.territory.id]).to.deep.equal([o.owner_id, o.customer_id, o.territory_id]);

    const l = await rest('GET', '/api/v1/leads/L-1');
    const gl = (await gql(app, admin, '{ leads { nodes { id firstName lastName email phone company title score source opportunityId revision createdAt updatedAt status assignedTo { id } territory { id } } } }')).data.leads.nodes[0];
    agree(l, gl, { id: 'id', firstName: 'first_name', lastName: 'last_name', email: 'email', phone: 'phone', company: 'company', title: 'title', score: 'score', source: 'source', opportunityId: 'opportunity_id', revision: 'revision', createdAt: 'created_at', updatedAt: 'updated_at' });
    expect([gl.status.toLowerCase(), gl.assignedTo.id, gl.territory.id]).to.deep.equal([l.status, l.assigned_to.id, l.territory_id]);

    const t = await rest('GET', '/api/v1/territories/T-3');
    const gt = (await gql(app, admin, '{ territories(ownerId: "mgr-3") { id name region rule isActive createdAt updatedAt owner { id } } }')).data.territories[0];
    agree(t, gt, { id: 'id', name: 'name', region: 'region', rule: 'rule', isActive: 'is_active', createdAt: 'created_at', updatedAt: 'updated_at' });

    const f = await rest('GET', '/api/v1/forecasts/F-1');
    const gf = (await gql(app, admin, 'mutation { createForecast(input: { id: "F-2", period: "Q1_2026", forecastType: BEST_CASE, amount: "5000.00" }) { period periodStart periodEnd amount currency status currentPipeline pipelineCoverage forecastType } }')).data.createForecast;
    agree(f, gf, { period: 'period', periodStart: 'period_start', periodEnd: 'period_end', amount: 'amount', currency: 'currency', status: 'status', currentPipeline: 'current_pipeline', pipelineCoverage: 'pipeline_coverage' });

    const p = await rest('GET', '/api/v1/opportunities/pipeline?period=Q1_2026&owner_id=rep-3');
    const gp = (await gql(app, admin, '{ pipeline(ownerId: "rep-3", period: "Q1_2026") { summary { totalCount totalAmount weightedAmount } byStage { stage count totalAmount probability weightedAmount } } }')).data.pipeline;
    expect(gp.summary).to.deep.equal({ totalCount: p.summary.total_count, totalAmount: p.summary.total_amount, weightedAmount: p.summary.weighted_amount });
    expect(gp.byStage).to.deep.equal(p.by_stage.map((s: Record<string, unknown>) => ({ stage: s.stage, count: s.count, totalAmount: s.total_amount, probability: s.probability, weightedAmount: s.weighted_amount })));
  });

  it('a page of 200 opportunities with account, owner and territory costs as many statements as a page of 20', async () => {
    const page = (limit: number) => `{ opportunities(limit: ${limit}) { totalCount nodes { id amount account { id name } owner { id } territory { id name owner { id } } } } }`;
    const statements = async (limit: number) => {
      const seen: string[] = [];
      // The request's own statements: projections catching up meanwhile write in transactions, and
      // an idle subscription moves its checkpoint now and then.
      const count = (q: { sql: string; __knexTxId?: string }) => q.__knexTxId === undefined && !q.sql.includes('projection_checkpoints') && seen.push(q.sql);
      app.app.db.on('query', count);
      try {
        const answer = await gql(app, admin, page(limit));
        expect(answer.errors).to.equal(undefined);
        expect(answer.data.opportunities.nodes).to.have.length(limit);
        expect(answer.data.opportunities.nodes.every((n: { account: { name: string }; territory: { name: string } }) => n.account.name && n.territory.name)).to.equal(true);
      } finally {
        app.app.db.off('query', count);
      }
      return seen;
    };
    const small = await statements(20);
    const large = await statements(200);
    expect(large.length, large.join('\n')).to.equal(small.length);
    // The page and its count, the accounts, the territories: a handful, whatever the page size.
    expect(large.length, large.join('\n')).to.be.at.most(6);
  });
});
