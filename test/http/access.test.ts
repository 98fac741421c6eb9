import { expect } from 'chai';
import { conversionIds } from '../../src/aggregates/lead/decider.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { holdWrites } from '../support/heldWrites.js';
import { BASE, expectError } from './opportunityHelpers.js';

/**
 * The access policy from outside: reps A and B in team T1, rep C in team T2, T1's manager, an
 * admin, a compliance user, a token with an unknown role. Every resource, lists, by id,
 * history, as_of, pipeline, analytics, audit, and every kind of command.
 */
const T = 'tenant-acl';
const as = (userId: string, ...roles: string[]) => ({ tenantId: T, userId, roles });
const repA = as('rep-a', 'sales_rep');
const repB = as('rep-b', 'sales_rep');
const repC = as('rep-c', 'sales_rep');
const mgr1 = as('mgr-1', 'sales_manager');
const admin = as('admin-1', 'admin');
const auditor = as('auditor-1', 'compliance');
const stranger = as('guest-1', 'guest', 'viewer');
type Who = ReturnType<typeof as>;

const DEALS = [
  { id: 'ACL-A', owner: repA, amount: '100.00', stage: 'PROPOSAL' },
  { id: 'ACL-B', owner: repB, amount: '200.00', stage: 'NEGOTIATION' },
  { id: 'ACL-C', owner: repC, amount: '400.00', stage: 'PROPOSAL' },
] as const;

describe('HTTP API: access control (one policy for every read and command)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let position = '';

  const send = async (who: Who, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.request(method, path, { identity: who, headers, ...(body !== undefined ? { body } : {}) });
    if (typeof res.body?.position === 'string') position = res.body.position;
    return res;
  };
  const ok = async (who: Who, method: string, path: string, body?: unknown) => {
    const res = await send(who, method, path, body);
    expect(res.status, `${method} ${path} as ${who.userId}: ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    return res;
  };
  const get = (who: Who, path: string) => send(who, 'GET', `${path}${path.includes('?') ? '&' : '?'}min_position=${position}`);
  const status = async (who: Who, method: string, path: string, body?: unknown) => (await send(who, method, path, body)).status;
  const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((d) => d.id).sort();

  before(async () => {
    app = await startTestApp();
    await ok(admin, 'POST', '/api/v1/teams', { id: 'T1', name: 'East', manager_id: 'mgr-1', member_ids: ['rep-a', 'rep-b'] });
    await ok(admin, 'POST', '/api/v1/teams', { id: 'T2', name: 'West', manager_id: 'mgr-2', member_ids: ['rep-c'] });
    await ok(admin, 'POST', '/api/v1/customers', { id: 'ACL-CUST', name: 'Shared Account' });
    for (const d of DEALS) {
      await ok(d.owner, 'POST', BASE, { id: d.id, customer_id: 'ACL-CUST', amount: d.amount, stage: d.stage, expected_close_date: '2026-02-15' });
      await ok(d.owner, 'POST', '/api/v1/leads', { id: `LEAD-${d.id}`, source: 'web', email: `${d.id.toLowerCase()}@example.com` });
      await ok(d.owner, 'POST', '/api/v1/forecasts', { id: `FC-${d.id}`, period: 'Q1_2026', forecast_type: 'commit', amount: '1000.00' });
    }
    await get(admin, '/api/v1/teams/T1');
  });
  after(async () => app?.stop());

  describe('reads are scoped in the query itself', () => {
    const visible: [string, Who, string[]][] = [
      ['a rep sees its own', repA, ['ACL-A']],
      ['a manager sees its team', mgr1, ['ACL-A', 'ACL-B']],
      ['an admin sees the tenant', admin, ['ACL-A', 'ACL-B', 'ACL-C']],
      ['compliance sees the tenant', auditor, ['ACL-A', 'ACL-B', 'ACL-C']],
    ];
    for (const [what, who, expected] of visible) {
      it(`${what}: opportunities, leads and forecasts lists`, async () => {
        expect(ids(await get(who, BASE))).to.deep.equal(expected);
        const leads = await get(who, '/api/v1/leads');
        expect(ids(leads)).to.deep.equal(expected.map((id) => `LEAD-${id}`));
        expect(leads.body.pagination.total).to.equal(expected.length);
        expect(ids(await get(who, '/api/v1/forecasts'))).to.deep.equal(expected.map((id) => `FC-${id}`));
      });
    }

    it('by id, history and as_of: 200 within reach, 403 outside it, 404 when absent', async () => {
      const now = encodeURIComponent(new Date().toISOString());
      const cases: [Who, string, number][] = [
        [repA, 'ACL-A', 200],
        [repA, 'ACL-B', 403],
        [mgr1, 'ACL-B', 200],
        [mgr1, 'ACL-C', 403],
        [admin, 'ACL-C', 200],
        [auditor, 'ACL-C', 200],
        [repA, 'ACL-NONE', 404],
      ];
      for (const [who, id, expected] of cases) {
        for (const path of [`${BASE}/${id}`, `${BASE}/${id}/history`, `${BASE}/${id}?as_of=${now}`, `/api/v1/leads/LEAD-${id}`, `/api/v1/leads/LEAD-${id}/history`, `/api/v1/forecasts/FC-${id}`, `/api/v1/forecasts/FC-${id}/history`]) {
          const res = await get(who, path);
          expect(res.status, `${who.userId} GET ${path}`).to.equal(expected);
          if (expected === 403) expectError(res, 403, 'FORBIDDEN');
        }
      }
    });

    it('the pipeline and win/loss are the figures over the caller’s own deals (rep) or its team’s (manager)', async () => {
      const total = async (who: Who, query = '') => (await get(who, `${BASE}/pipeline?period=Q1_2026${query}`)).body.summary;
      expect(await total(repA)).to.deep.include({ total_count: 1, total_amount: '100.00', weighted_amount: '50.00' });
      expect(await total(mgr1)).to.deep.include({ total_count: 2, total_amount: '300.00', weighted_amount: '200.00' });
      expect(await total(admin)).to.deep.include({ total_count: 3, total_amount: '700.00' });
      expect(await total(mgr1, '&owner_id=rep-b')).to.deep.include({ total_count: 1, total_amount: '200.00' });
      // Another owner's figures are refused, never answered with the caller's own instead.
      expectError(await get(repA, `${BASE}/pipeline?period=Q1_2026&owner_id=rep-b`), 403, 'FORBIDDEN');
      expectError(await get(mgr1, `${BASE}/pipeline?period=Q1_2026&owner_id=rep-c`), 403, 'FORBIDDEN');
      expectError(await get(repA, `${BASE}?owner_id=rep-b`), 403, 'FORBIDDEN');
      expectError(await get(repA, '/api/v1/analytics/win-loss?owner_id=rep-b'), 403, 'FORBIDDEN');
      // The past pipeline is a replay of the log: managers (their team), admins and compliance.
      expect((await get(mgr1, `${BASE}/pipeline?period=Q1_2026&as_of=2030-01-01`)).body.summary.total_count).to.equal(2);
      expectError(await get(repA, `${BASE}/pipeline?period=Q1_2026&as_of=2030-01-01`), 403, 'FORBIDDEN');
    });

    it('the customer 360 view lists only the deals the caller may see of a shared account', async () => {
      const view = async (who: Who) => (await get(who, '/api/v1/customers/ACL-CUST')).body;
      expect((await view(repA)).open_opportunities.map((o: { id: string }) => o.id)).to.deep.equal(['ACL-A']);
      expect((await view(mgr1)).open_opportunity_count).to.equal(2);
      expect((await view(auditor)).open_opportunity_count).to.equal(3);
    });

    it('audit exports and aggregate state: compliance and admin only', async () => {
      for (const [who, expected] of [[repA, 403], [mgr1, 403], [stranger, 403], [auditor, 200], [admin, 200]] as const) {
        expect(await status(who, 'GET', '/api/v1/audit/events?format=csv'), who.userId).to.equal(expected);
        expect(await status(who, 'GET', '/api/v1/audit/state?aggregate_type=opportunity&aggregate_id=ACL-A'), who.userId).to.equal(expected);
      }
    });
  });

  describe('commands are checked on the loaded state, before the decider', () => {
    it('a rep changes only its own deals; a manager its team’s; compliance nothing', async () => {
      const stage = (who: Who, id: string) => status(who, 'PUT', `${BASE}/${id}/stage`, { stage: 'QUALIFICATION' });
      expect(await stage(repA, 'ACL-B')).to.equal(403);
      expect(await status(repA, 'PATCH', `${BASE}/ACL-B`, { amount: '1.00' })).to.equal(403);
      expect(await status(repA, 'POST', `${BASE}/ACL-B/close`, { outcome: 'won' })).to.equal(403);
      expect(await stage(auditor, 'ACL-A')).to.equal(403);
      expect(await stage(mgr1, 'ACL-C')).to.equal(403);
      expect(await stage(repA, 'ACL-A')).to.equal(200);
      expect(await stage(mgr1, 'ACL-B')).to.equal(200);
      // Refused before anything of the record is told, its revision included.
      expectError(await send(repA, 'PATCH', `${BASE}/ACL-B`, { amount: '1.00' }, { 'if-match': '"99"' }), 403, 'FORBIDDEN');
      // Nothing refused reached the log.
      const trail = (await get(admin, `${BASE}/ACL-B/history`)).body.data;
      expect(trail.map((e: { actor: string }) => e.actor)).to.deep.equal(['rep-b', 'mgr-1']);
    });

    it('creates only within reach: a rep in its own name, a manager for its team', async () => {
      const create = (who: Who, id: string, owner?: string) =>
        status(who, 'POST', BASE, { id, customer_id: 'ACL-CUST', amount: '5.00', ...(owner ? { owner_id: owner } : {}) });
      expect(await create(repA, 'ACL-N1', 'rep-b')).to.equal(403);
      expect(await create(repA, 'ACL-N2')).to.equal(201);
      expect(await create(mgr1, 'ACL-N3', 'rep-b')).to.equal(201);
      expect(await create(mgr1, 'ACL-N4', 'rep-c')).to.equal(403);
      expect(await create(auditor, 'ACL-N5')).to.equal(403);
      expect(await status(repA, 'POST', '/api/v1/leads', { source: 'web', email: 'x@example.com', assigned_to: 'rep-b' })).to.equal(403);
      expect(await status(repA, 'POST', '/api/v1/forecasts', { period: 'Q1_2026', forecast_type: 'commit', amount: '1.00', owner_id: 'rep-b' })).to.equal(403);
      expect((await get(admin, `${BASE}/ACL-N2`)).body.owner_id).to.equal('rep-a');
    });

    it('reassignment: a manager within its team, an admin anywhere; the event has from, to and actor', async () => {
      await ok(repA, 'POST', BASE, { id: 'ACL-R', customer_id: 'ACL-CUST', amount: '9.00' });
      const move = (who: Who, owner: string) => status(who, 'PUT', `${BASE}/ACL-R/owner`, { owner_id: owner, reason: 'territory change' });
      expect(await move(repA, 'rep-b')).to.equal(403);
      expect(await move(mgr1, 'rep-c')).to.equal(403);
      expect(await move(mgr1, 'rep-b')).to.equal(200);
      expect(await move(admin, 'rep-c')).to.equal(200);
      const trail = (await get(admin, `${BASE}/ACL-R/history`)).body.data.filter((e: { event_type: string }) => e.event_type === 'OpportunityReassignedEvent');
      expect(trail.map((e: Record<string, unknown>) => [e.actor, e.from_owner, e.to_owner])).to.deep.equal([
        ['mgr-1', 'rep-a', 'rep-b'],
        ['admin-1', 'rep-b', 'rep-c'],
      ]);
      // The deal moved with its owner: rep-c sees it, rep-a no longer does.
      expect(ids(await get(repC, BASE))).to.include('ACL-R');
      expect((await get(repA, `${BASE}/ACL-R`)).status).to.equal(403);
      expect(await status(mgr1, 'PUT', `/api/v1/forecasts/FC-ACL-A/owner`, { owner_id: 'rep-b' })).to.equal(200);
      expect((await get(repA, '/api/v1/forecasts/FC-ACL-A')).status).to.equal(403);
      expect(await status(mgr1, 'POST', '/api/v1/territories/assign', { lead_id: 'LEAD-ACL-B', territory_id: 'TERR-1', reason: 'x', assigned_to: 'rep-c' })).to.equal(403);
      expect(await status(mgr1, 'POST', '/api/v1/territories/assign', { lead_id: 'LEAD-ACL-B', territory_id: 'TERR-1', reason: 'x', assigned_to: 'rep-a' })).to.equal(200);
    });

    it('configuration, teams, API keys and merges: admin (merges: managers too)', async () => {
      const cases: [string, string, unknown, Who[], Who[]][] = [
        ['PATCH', '/api/v1/pipeline/stages/PROPOSAL', { probability: 51 }, [repA, mgr1, auditor], [admin]],
        ['PUT', '/api/v1/teams/T1/members/rep-z', undefined, [repA, mgr1, auditor], [admin]],
        ['POST', '/api/v1/api-keys', { name: 'ci', roles: ['sales_rep'] }, [repA, mgr1, auditor], [admin]],
        ['GET', '/api/v1/api-keys', undefined, [repA, mgr1, auditor], [admin]],
      ];
      for (const [method, path, body, refused, allowed] of cases) {
        for (const who of refused) expect(await status(who, method, path, body), `${who.userId} ${method} ${path}`).to.equal(403);
        for (const who of allowed) expect(await status(who, method, path, body), `${who.userId} ${method} ${path}`).to.be.oneOf([200, 201]);
      }
      await ok(admin, 'POST', '/api/v1/customers', { id: 'ACL-DUP', name: 'Duplicate' });
      expect(await status(repA, 'POST', '/api/v1/customers/ACL-CUST/merge', { source_customer_id: 'ACL-DUP' })).to.equal(403);
      expect(await status(mgr1, 'POST', '/api/v1/customers/ACL-CUST/merge', { source_customer_id: 'ACL-DUP' })).to.equal(200);
      // Accounts themselves are shared: a rep may update one.
      expect(await status(repA, 'PATCH', '/api/v1/customers/ACL-CUST', { segment: 'enterprise' })).to.equal(200);
      expect(await status(auditor, 'PATCH', '/api/v1/customers/ACL-CUST', { segment: 'smb' })).to.equal(403);
    });
    it('a lead conversion does not adopt a record someone else created under the ids it derives', async () => {
      await ok(repA, 'POST', '/api/v1/leads', {
        id: 'LEAD-HIJACK', source: 'web', email: 'h@example.com', industry: 'Technology', employee_count: 500, annual_revenue: 50000000, title: 'VP Engineering',
      });
      await ok(repA, 'POST', '/api/v1/leads/LEAD-HIJACK/qualify', {});
      const { opportunityId } = conversionIds('LEAD-HIJACK');
      await ok(repB, 'POST', BASE, { id: opportunityId, customer_id: 'ACL-CUST', amount: '1.00' });
      expectError(await send(repA, 'POST', '/api/v1/leads/LEAD-HIJACK/convert', { amount: '10.00' }), 409, 'CONFLICT');
      expect((await get(repA, '/api/v1/leads/LEAD-HIJACK')).body.status).to.equal('qualified');
      expect((await get(admin, `${BASE}/${opportunityId}`)).body.owner_id).to.equal('rep-b');
    });
  });

  describe('deny by default', () => {
    it('credentials with none of the known roles get 403 on every endpoint, reads included', async () => {
      for (const [method, path] of [
        ['GET', BASE],
        ['GET', `${BASE}/ACL-A`],
        ['GET', '/api/v1/customers'],
        ['GET', '/api/v1/pipeline/stages'],
        ['GET', '/api/v1/me'],
        ['POST', BASE],
        ['GET', '/api/v1/no-such-route'],
      ] as const) {
        expectError(await send(stranger, method, path, method === 'POST' ? { customer_id: 'X', amount: '1.00' } : undefined), 403, 'FORBIDDEN');
      }
    });

    it('role names are matched case-insensitively; unknown ones are ignored', async () => {
      const res = await get(as('rep-a', 'Sales_Rep', 'viewer'), BASE);
      expect(ids(res)).to.deep.equal(['ACL-A', 'ACL-N2']);
      const me = await get(as('mgr-1', 'SALES_MANAGER'), '/api/v1/me');
      expect(me.body).to.deep.include({ user_id: 'mgr-1', roles: ['sales_manager'], manages_teams: ['T1'] });
      expect(me.body.managed_users).to.include.members(['rep-a', 'rep-b']);
    });
  });

  describe('the team directory', () => {
    it('a member removed from a team leaves its manager’s reach; as_of tells who was in which team', async () => {
      const before = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
      await ok(admin, 'DELETE', '/api/v1/teams/T1/members/rep-b');
      await get(admin, '/api/v1/teams/T1');
      expect((await get(mgr1, `${BASE}/ACL-B`)).status).to.equal(403);
      const then = await get(auditor, `/api/v1/teams/T1?as_of=${encodeURIComponent(before)}`);
      expect(then.body.member_ids).to.include('rep-b');
      const now = await get(auditor, '/api/v1/teams/T1');
      expect(now.body.member_ids).not.to.include('rep-b');
      const all = await get(repA, `/api/v1/teams?as_of=${encodeURIComponent(before)}`);
      expect(all.body.data.map((t: { id: string }) => t.id)).to.deep.equal(['T1', 'T2']);
      const trail = (await get(admin, '/api/v1/teams/T1/history')).body.data;
      expect(trail.at(-1)).to.include({ event_type: 'TeamMemberRemovedEvent', actor: 'admin-1' });
      await ok(admin, 'PUT', '/api/v1/teams/T1/members/rep-b');
    });

    it('a manager’s reach is the directory as of the position its request names, while the directory lags', async () => {
      const mgr3 = as('mgr-3', 'sales_manager');
      await ok(admin, 'POST', '/api/v1/teams', { id: 'T3', name: 'North', manager_id: 'mgr-3' });
      await get(admin, '/api/v1/teams/T3');
      const asMember = async (change: 'PUT' | 'DELETE') => {
        const held = await holdWrites(app.database.url, 'team_members');
        try {
          await ok(admin, change, '/api/v1/teams/T3/members/rep-c');
          const one = get(mgr3, `${BASE}/ACL-C`);
          const list = get(mgr3, BASE);
          await held.release(300);
          return { one: (await one).status, listed: ids(await list).includes('ACL-C') };
        } finally {
          await held.release();
        }
      };
      expect(await asMember('PUT')).to.deep.equal({ one: 200, listed: true });
      expect(await asMember('DELETE')).to.deep.equal({ one: 403, listed: false });
    });

    it('a position a manager cannot use is reported by the endpoint as for anyone, and a command ignores it as for anyone', async () => {
      for (const bad of ['nonsense', '812/*', '999999999/1']) {
        const path = `${BASE}?min_position=${encodeURIComponent(bad)}`;
        const [asManager, asAdmin] = [await send(mgr1, 'GET', path), await send(admin, 'GET', path)];
        expect(asManager.status, bad).to.equal(400);
        const shape = ({ code, message, details }: { code: string; message: string; details: unknown }) => ({ code, message, details });
        expect(shape(asManager.body.error)).to.deep.equal(shape(asAdmin.body.error));
      }
      const created = await send(mgr1, 'POST', '/api/v1/activities', { id: 'ACT-MGR1', type: 'call', subject: 'Review', related_to: { type: 'opportunity', id: 'ACL-A' }, due_date: '2026-03-05T10:00:00Z' }, { 'x-min-position': 'nonsense' });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
    });

    it('validates team input and refuses changes to a disbanded team', async () => {
      expectError(await send(admin, 'POST', '/api/v1/teams', { name: '' }), 400, 'VALIDATION_ERROR');
      expectError(await send(admin, 'POST', '/api/v1/teams', { name: 'X', member_ids: ['bad id'] }), 400, 'VALIDATION_ERROR');
      await ok(admin, 'POST', '/api/v1/teams', { id: 'T9', name: 'Gone', manager_id: 'mgr-9' });
      await ok(admin, 'POST', '/api/v1/teams/T9/disband', { reason: 'reorg' });
      expectError(await send(admin, 'PUT', '/api/v1/teams/T9/members/rep-a'), 409, 'CONFLICT');
      expectError(await send(admin, 'PUT', '/api/v1/teams/NOPE/members/rep-a'), 404, 'NOT_FOUND');
    });
  });
});
