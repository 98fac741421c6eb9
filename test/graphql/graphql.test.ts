import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { holdWrites } from '../support/heldWrites.js';
import { gql, onlyError } from './support.js';

/** GraphQL at /graphql (seed 004): every query and mutation, through the same rules as REST. */
describe('GraphQL API: seed 004 queries and mutations', function () {
  this.timeout(60_000);
  let app: TestApp;
  const T = 'tenant-gql';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const rep = { tenantId: T, userId: 'rep-1', roles: ['sales_rep'] };
  const otherRep = { tenantId: T, userId: 'rep-2', roles: ['sales_rep'] };
  const OPP = 'id name stage status amount currency probability expectedCloseDate dealScore owner { id } account { id name } territory { id name isActive }';

  before(async () => {
    app = await startTestApp();
    await app.request('POST', '/api/v1/territories', { identity: admin, body: { id: 'EMEA', name: 'Europe', owner_id: 'mgr-1', region: 'EMEA' } });
    await app.request('POST', '/api/v1/territories', { identity: admin, body: { id: 'OLD', name: 'Old', owner_id: 'mgr-2' } });
    await app.request('POST', '/api/v1/territories/OLD/deactivate', { identity: admin, body: { reason: 'gone' } });
    await app.request('POST', '/api/v1/customers', { identity: admin, body: { id: 'ACME', name: 'Acme Corp' } });
  });
  after(async () => app?.stop());

  it('createOpportunity, updateOpportunityStage and opportunities: exact money, the deal score, the account, owner and territory', async () => {
    const created = await gql(app, rep, `mutation { createOpportunity(input: { id: "GO-1", accountId: "ACME", amount: 120000.10, expectedCloseDate: "2026-03-15", territoryId: "EMEA", name: "Acme renewal" }) { ${OPP} } }`);
    expect(created.errors).to.equal(undefined);
    expect(created.data.createOpportunity).to.deep.include({ id: 'GO-1', name: 'Acme renewal', stage: 'PROSPECTING', status: 'OPEN', amount: '120000.10', currency: 'USD' });
    expect(created.data.createOpportunity.account).to.deep.equal({ id: 'ACME', name: 'Acme Corp' });
    expect(created.data.createOpportunity.owner).to.deep.equal({ id: 'rep-1' });
    expect(created.data.createOpportunity.territory).to.deep.equal({ id: 'EMEA', name: 'Europe', isActive: true });
    const before = created.data.createOpportunity.dealScore;
    const moved = await gql(app, rep, `mutation { updateOpportunityStage(opportunityId: "GO-1", stage: "qualification") { stage probability dealScore } }`);
    expect(moved.data.updateOpportunityStage).to.deep.include({ stage: 'QUALIFICATION', probability: 25 });
    expect(moved.data.updateOpportunityStage.dealScore).to.be.above(before);
    // Money as a string variable keeps every digit; a float that would lose them is refused.
    const big = await gql(app, rep, 'mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { amount } }', { i: { accountId: 'ACME', amount: '1234567890123456.78' } });
    expect(big.data.createOpportunity.amount).to.equal('1234567890123456.78');
    // A JSON number is read without a float in between: its exact text, kept or refused.
    const raw = async (amount: string) =>
      app.request('POST', '/graphql', {
        identity: rep,
        rawBody: `{"query":"mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { amount } }","variables":{"i":{"accountId":"ACME","amount":${amount}}}}`,
        headers: { 'content-type': 'application/json' },
      });
    expect((await raw('1234567890123456.78')).body.data.createOpportunity.amount).to.equal('1234567890123456.78');
    const lossy = await raw('99999999999999.999');
    expect(lossy.body.errors[0].extensions).to.deep.include({ code: 'VALIDATION_ERROR' });
    expect(lossy.body.errors[0].extensions.details.fields[0].field).to.equal('i.amount');

    await gql(app, otherRep, 'mutation { createOpportunity(input: { id: "GO-THEIRS", accountId: "ACME", amount: "5.00", expectedCloseDate: "2026-06-01" }) { id } }');
    const list = await gql(app, rep, `{ opportunities(stage: "QUALIFICATION", expectedCloseDateRange: { from: "2026-03-01", to: "2026-03-31" }, limit: 10) { totalCount pageInfo { total limit offset hasMore } nodes { id } } }`);
    expect(list.data.opportunities).to.deep.equal({ totalCount: 1, pageInfo: { total: 1, limit: 10, offset: 0, hasMore: false }, nodes: [{ id: 'GO-1' }] });
    // A rep sees its own deals only; another rep's are out of reach, by filter too.
    const mine = await gql(app, rep, '{ opportunities(limit: 50) { nodes { id owner { id } } } }');
    expect(mine.data.opportunities.nodes.map((n: { owner: { id: string } }) => n.owner.id)).to.satisfy((ids: string[]) => ids.every((id) => id === 'rep-1'));
    expect(onlyError(await gql(app, rep, '{ opportunities(ownerId: "rep-2") { totalCount } }')).code).to.equal('FORBIDDEN');
    const all = await gql(app, admin, '{ opportunities(ownerId: "rep-2") { nodes { id } } }');
    expect(all.data.opportunities.nodes).to.deep.equal([{ id: 'GO-THEIRS' }]);
    // Paging.
    const page = await gql(app, admin, '{ opportunities(limit: 1, offset: 1) { totalCount pageInfo { hasMore } nodes { id } } }');
    expect(page.data.opportunities).to.deep.include({ totalCount: 4, pageInfo: { hasMore: true } });
  });

  it('a mutation answers once the read models of what it names hold the write too: the account of a customer created just before', async () => {
    const held = await holdWrites(app.database.url, 'customers');
    try {
      expect((await app.request('POST', '/api/v1/customers', { identity: admin, body: { id: 'LATE', name: 'Late Ltd' } })).status).to.equal(201);
      const answer = gql(app, admin, 'mutation { createOpportunity(input: { accountId: "LATE", amount: "10.00" }) { account { id name } } }');
      await held.release(300);
      expect((await answer).data.createOpportunity.account).to.deep.equal({ id: 'LATE', name: 'Late Ltd' });
    } finally {
      await held.release();
    }
  });

  it('createLead, assignTerritory, convertLead and leads', async () => {
    const lead = await gql(app, rep, 'mutation { createLead(input: { id: "GL-1", source: "webinar", email: "ada@example.com", firstName: "Ada", company: "Analytical", title: "VP Engineering", industry: "Technology", employeeCount: 500, annualRevenue: 50000000 }) { id status email firstName company score assignedTo { id } territory { id } createdAt } }');
    expect(lead.errors, JSON.stringify(lead.errors)).to.equal(undefined);
    expect(lead.data.createLead).to.deep.include({ id: 'GL-1', status: 'NEW', email: 'ada@example.com', firstName: 'Ada', assignedTo: { id: 'rep-1' }, territory: null });
    expect(lead.data.createLead.score).to.be.a('number');

    const assigned = await gql(app, rep, 'mutation { assignTerritory(input: { leadId: "GL-1", territoryId: "EMEA", reason: "region" }) { territory { id } lead { id territory { id } } opportunity { id } } }');
    expect(assigned.data.assignTerritory).to.deep.equal({ territory: { id: 'EMEA' }, lead: { id: 'GL-1', territory: { id: 'EMEA' } }, opportunity: null });
    const deal = await gql(app, rep, 'mutation { assignTerritory(input: { opportunityId: "GO-1", territoryId: "EMEA" }) { opportunity { id territory { id } } } }');
    expect(deal.data.assignTerritory.opportunity).to.deep.equal({ id: 'GO-1', territory: { id: 'EMEA' } });
    expect(onlyError(await gql(app, rep, 'mutation { assignTerritory(input: { leadId: "GL-1", territoryId: "OLD", reason: "x" }) { lead { id } } }')).code).to.equal('CONFLICT');
    // A territory id with no territory record behind it (a plain label) is taken, as REST takes it.
    const label = await gql(app, rep, 'mutation { assignTerritory(input: { opportunityId: "GO-1", territoryId: "LABEL-X" }) { territoryId territory { id } opportunity { territory { id } } } }');
    expect(label.data.assignTerritory).to.deep.equal({ territoryId: 'LABEL-X', territory: null, opportunity: { territory: null } });
    await gql(app, rep, 'mutation { assignTerritory(input: { opportunityId: "GO-1", territoryId: "EMEA" }) { territoryId } }');
    expect(onlyError(await gql(app, rep, 'mutation { assignTerritory(input: { territoryId: "EMEA" }) { lead { id } } }'))).to.deep.include({ code: 'VALIDATION_ERROR', fields: ['input.leadId'] });

    // Seed 004 has no qualify mutation: REST qualifies, GraphQL converts.
    expect((await app.request('POST', '/api/v1/leads/GL-1/qualify', { identity: rep, body: { timeline: 'this_quarter' } })).body.status).to.equal('qualified');
    const converted = await gql(app, rep, 'mutation { convertLead(leadId: "GL-1", input: { amount: "50000.00", expectedCloseDate: "2026-05-01", opportunityName: "Analytical engine" }) { id name amount stage account { id name } owner { id } } }');
    expect(converted.errors, JSON.stringify(converted.errors)).to.equal(undefined);
    expect(converted.data.convertLead).to.deep.include({ name: 'Analytical engine', amount: '50000.00', owner: { id: 'rep-1' } });
    const leads = await gql(app, rep, '{ leads(status: CONVERTED, territoryId: "EMEA") { totalCount nodes { id status opportunityId } } }');
    expect(leads.data.leads).to.deep.equal({ totalCount: 1, nodes: [{ id: 'GL-1', status: 'CONVERTED', opportunityId: converted.data.convertLead.id }] });
  });

  it('territories, pipeline and createForecast', async () => {
    const territories = async (args: string) => (await gql(app, rep, `{ territories${args} { id owner { id } isActive } }`)).data.territories.map((t: { id: string }) => t.id);
    expect(await territories('')).to.deep.equal(['EMEA', 'OLD']);
    expect(await territories('(isActive: true)')).to.deep.equal(['EMEA']);
    expect(await territories('(ownerId: "mgr-2", isActive: false)')).to.deep.equal(['OLD']);

    const pipeline = await gql(app, rep, '{ pipeline(ownerId: "rep-1", period: "Q1_2026") { period periodStart periodEnd owner { id } currency summary { totalCount totalAmount weightedAmount } byStage { stage count totalAmount } } }');
    expect(pipeline.data.pipeline).to.deep.include({ period: 'Q1_2026', periodStart: '2026-01-01', periodEnd: '2026-03-31', owner: { id: 'rep-1' }, currency: 'USD' });
    expect(pipeline.data.pipeline.summary).to.deep.equal({ totalCount: 1, totalAmount: '120000.10', weightedAmount: '30000.03' });
    expect(onlyError(await gql(app, rep, '{ pipeline(ownerId: "rep-2", period: "Q1_2026") { period } }')).code).to.equal('FORBIDDEN');
    expect(onlyError(await gql(app, rep, '{ pipeline(ownerId: "rep-1", period: "Q5_2026") { period } }'))).to.deep.include({ code: 'VALIDATION_ERROR', fields: ['pipeline.period'] });

    const forecast = await gql(app, rep, 'mutation { createForecast(input: { period: "Q1_2026", forecastType: COMMIT, amount: "60000.05" }) { id owner { id } period periodStart forecastType amount currency status currentPipeline pipelineCoverage } }');
    expect(forecast.errors).to.equal(undefined);
    expect(forecast.data.createForecast).to.deep.include({ owner: { id: 'rep-1' }, period: 'Q1_2026', forecastType: 'COMMIT', amount: '60000.05', currentPipeline: '120000.10' });
    expect(forecast.data.createForecast.pipelineCoverage).to.match(/^2\.0+$/);
  });

  it('refuses bad input with VALIDATION_ERROR naming the field, and what the policy does not grant', async () => {
    const cases: [string, Record<string, unknown> | undefined, string[]][] = [
      ['mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id } }', { i: { accountId: 'ACME', amount: '-1' } }, ['i.amount']],
      ['mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id } }', { i: { accountId: 'ACME', amount: '1.00', currency: 'EURO' } }, ['input.currency']],
      ['mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id } }', { i: { accountId: 'ACME', amount: '1.00', expectedCloseDate: '2026-02-30' } }, ['i.expectedCloseDate']],
      ['mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id } }', { i: { amount: '1.00' } }, ['i.accountId']],
      ['mutation($i: CreateLeadInput!) { createLead(input: $i) { id } }', { i: { source: 'web', email: 'not-an-email' } }, ['input.email']],
      ['mutation($i: CreateLeadInput!) { createLead(input: $i) { id } }', { i: { source: 'web', email: 'a@example.com', firstName: 'a\u0000b' } }, ['input.firstName']],
      ['mutation { updateOpportunityStage(opportunityId: "GO-1", stage: "NO_SUCH") { id } }', undefined, []],
      ['{ opportunities(limit: 201) { totalCount } }', undefined, ['opportunities.limit']],
      ['{ opportunities(bogus: 1) { totalCount } }', undefined, ['bogus']],
      ['{ opportunities { nodes { secret } } }', undefined, ['secret']],
      ['{ leads(status: MAYBE) { totalCount } }', undefined, []],
      ['{ opportunities(limit: "ten") { totalCount } }', undefined, []],
      ['query {', undefined, []],
    ];
    for (const [query, variables, fields] of cases) {
      const e = onlyError(await gql(app, rep, query, variables));
      expect(e.code, query).to.equal('VALIDATION_ERROR');
      expect(e.requestId, query).to.be.a('string').and.not.equal('');
      for (const f of fields) expect(e.fields, `${query} ${JSON.stringify(variables)}`).to.include(f);
    }
    expect(onlyError(await gql(app, otherRep, 'mutation { updateOpportunityStage(opportunityId: "GO-1", stage: "PROPOSAL") { id } }')).code).to.be.oneOf(['FORBIDDEN', 'NOT_FOUND']);
    const compliance = { tenantId: T, userId: 'audit-1', roles: ['compliance'] };
    expect(onlyError(await gql(app, compliance, 'mutation { createLead(input: { source: "web", email: "x@example.com" }) { id } }')).code).to.equal('FORBIDDEN');
    // Another tenant sees nothing of this one.
    const stranger = { tenantId: 'tenant-gql-other', userId: 'admin-9', roles: ['admin'] };
    expect((await gql(app, stranger, '{ opportunities { totalCount } territories { id } }')).data).to.deep.equal({ opportunities: { totalCount: 0 }, territories: [] });
    expect(onlyError(await gql(app, stranger, 'mutation { updateOpportunityStage(opportunityId: "GO-1", stage: "PROPOSAL") { id } }')).code).to.equal('NOT_FOUND');
  });

  it('authenticates as REST does, and refuses queries beyond the depth, alias and size limits', async () => {
    // REST's headers mean nothing here: a malformed If-Match or Idempotency-Key is not an error.
    const withHeaders = await app.request('POST', '/graphql', { identity: rep, headers: { 'If-Match': 'nonsense', 'Idempotency-Key': 'a b' }, body: { query: '{ territories { id } }' } });
    expect(withHeaders.body.errors).to.equal(undefined);
    const anonymous = await app.request('POST', '/graphql', { auth: false, body: { query: '{ territories { id } }' } });
    expect(anonymous.status).to.equal(401);
    expect(anonymous.body.errors[0].extensions.code).to.equal('UNAUTHORIZED');
    const deep = '{ opportunities { nodes { territory { owner { id } } account { id } owner { id } } } }';
    expect((await gql(app, rep, deep)).errors).to.equal(undefined);
    const nested = await gql(app, rep, '{ leads { nodes { territory { owner { id } } } } a: leads { nodes { id } } }');
    expect(nested.errors).to.equal(undefined);
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: territories { id }`).join(' ');
    expect(onlyError(await gql(app, rep, `{ ${aliases} }`)).code).to.equal('VALIDATION_ERROR');
    const tokens = `{ territories { ${Array.from({ length: 1500 }, () => 'id').join(' ')} } }`;
    expect(onlyError(await gql(app, rep, tokens)).code).to.equal('VALIDATION_ERROR');
    // Bodies that are not a GraphQL request get the error at once (no request left waiting).
    for (const [rawBody, type] of [['', 'application/json'], ['{}', 'application/json'], ['[]', 'application/json'], ['query', 'text/plain']]) {
      const res = await app.request('POST', '/graphql', { identity: rep, rawBody: rawBody!, headers: { 'content-type': type! } });
      expect(res.status, `${type} ${rawBody}`).to.equal(400);
      expect(res.body.errors[0].extensions.code).to.equal('VALIDATION_ERROR');
    }
    const tooBig = await app.request('POST', '/graphql', { identity: rep, body: { query: `{ territories { id } } # ${'x'.repeat(1_100_000)}` } });
    expect(tooBig.status).to.equal(400);
    expect(tooBig.body.errors[0].extensions.code).to.equal('VALIDATION_ERROR');
  });
});
