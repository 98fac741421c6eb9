import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { holdWrites } from '../support/heldWrites.js';
import { expectError } from './opportunityHelpers.js';

/**
 * Issue 11: activities and tasks are reached "as for the related record". Whoever may read
 * (write) the lead, deal or customer a task is about may read (write) the task, its history
 * included, whoever it is assigned to; a rep of another team and a read-only role may not.
 */
describe('HTTP API: access to work as for the related record', function () {
  this.timeout(60_000);
  let app: TestApp;
  let position = '';
  const T = 'tenant-work-access';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const owner = { tenantId: T, userId: 'rep-a', roles: ['sales_rep'] }; // owns the deal and the lead
  const manager = { tenantId: T, userId: 'mgr-east', roles: ['sales_manager'] }; // rep-a's manager
  const otherTeam = { tenantId: T, userId: 'rep-w', roles: ['sales_rep'] };
  const compliance = { tenantId: T, userId: 'audit-1', roles: ['compliance'] };
  type Who = typeof admin;
  const send = async (who: Who, method: string, path: string, body?: unknown) => {
    const res = await app.request(method, path, { identity: who, ...(body !== undefined ? { body } : {}) });
    if (res.body?.position) position = res.body.position;
    return res;
  };
  const ok = async (who: Who, method: string, path: string, body?: unknown) => {
    const res = await send(who, method, path, body);
    expect(res.status, `${method} ${path} as ${who.userId}: ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    return res;
  };
  const forbidden = async (who: Who, method: string, path: string, body?: unknown) => expectError(await send(who, method, path, body), 403, 'FORBIDDEN');
  const due = () => new Date(Date.now() + 5 * 86_400_000).toISOString();

  before(async () => {
    app = await startTestApp();
    await ok(admin, 'POST', '/api/v1/teams', { id: 'EAST', name: 'East', manager_id: 'mgr-east', member_ids: ['rep-a'] });
    await ok(admin, 'POST', '/api/v1/teams', { id: 'WEST', name: 'West', manager_id: 'mgr-west', member_ids: ['rep-w'] });
    await ok(owner, 'POST', '/api/v1/customers', { customer_id: 'WA-CUST', name: 'Shared Account' });
    await ok(owner, 'POST', '/api/v1/opportunities', { id: 'WA-OPP', customer_id: 'WA-CUST', amount: '10.00' });
    await ok(owner, 'POST', '/api/v1/leads', { id: 'WA-LEAD', source: 'web', email: 'lead@example.com' });
    // Work of someone outside every team, on rep-a's records and on the shared account.
    await ok(admin, 'POST', '/api/v1/tasks', { id: 'WA-T-OPP', title: 'on the deal', due_date: due(), assigned_to: 'rep-x', related_to: { type: 'opportunity', id: 'WA-OPP' } });
    await ok(admin, 'POST', '/api/v1/tasks', { id: 'WA-T-CUST', title: 'on the account', due_date: due(), assigned_to: 'rep-x', related_to: { type: 'customer', id: 'WA-CUST' } });
    await ok(admin, 'POST', '/api/v1/tasks', { id: 'WA-T-NONE', title: 'about nothing', due_date: due(), assigned_to: 'rep-x' });
    await ok(admin, 'POST', '/api/v1/activities', { id: 'WA-A-LEAD', type: 'call', subject: 'intro', owner_id: 'rep-x', related_to: { type: 'lead', id: 'WA-LEAD' } });
    await ok(admin, 'GET', `/api/v1/teams/EAST?min_position=${position}`);
  });
  after(async () => app?.stop());

  it('the deal’s owner and its manager read the task, its history, and edit it; the owner may take it over', async () => {
    for (const who of [owner, manager]) {
      await ok(who, 'GET', `/api/v1/tasks/WA-T-OPP?min_position=${position}`);
      const history = await ok(who, 'GET', '/api/v1/tasks/WA-T-OPP/history');
      expect(history.body.data.map((e: { event_type: string }) => e.event_type)).to.deep.equal(['TaskCreatedEvent']);
    }
    await ok(owner, 'PATCH', '/api/v1/tasks/WA-T-OPP', { priority: 'high' });
    await ok(owner, 'POST', '/api/v1/tasks/WA-T-OPP/complete', {});
    await ok(manager, 'POST', '/api/v1/tasks/WA-T-OPP/reopen', { reason: 'not yet' });
    // Reassigning still needs reach over the new assignee: to itself yes, to another team no.
    await forbidden(owner, 'POST', '/api/v1/tasks/WA-T-OPP/reassign', { assigned_to: 'rep-w' });
    await ok(owner, 'POST', '/api/v1/tasks/WA-T-OPP/reassign', { assigned_to: 'rep-a' });
    const list = await ok(owner, 'GET', `/api/v1/tasks?min_position=${position}`);
    expect(list.body.data.map((t: { id: string }) => t.id).sort()).to.deep.equal(['WA-T-CUST', 'WA-T-OPP']);
  });

  it('the lead’s owner reads and edits an activity on its lead', async () => {
    await ok(owner, 'GET', `/api/v1/activities/WA-A-LEAD?min_position=${position}`);
    await ok(owner, 'GET', '/api/v1/activities/WA-A-LEAD/history');
    await ok(owner, 'PATCH', '/api/v1/activities/WA-A-LEAD', { subject: 'intro call' });
    await ok(owner, 'POST', '/api/v1/activities/WA-A-LEAD/complete', { outcome: 'interested' });
  });

  it('a rep of another team may neither read nor edit work on those records', async () => {
    await forbidden(otherTeam, 'GET', `/api/v1/tasks/WA-T-NONE?min_position=${position}`);
    await forbidden(otherTeam, 'GET', '/api/v1/activities/WA-A-LEAD');
    await forbidden(otherTeam, 'GET', '/api/v1/activities/WA-A-LEAD/history');
    await forbidden(otherTeam, 'PATCH', '/api/v1/activities/WA-A-LEAD', { subject: 'mine now' });
    await forbidden(otherTeam, 'GET', '/api/v1/tasks/WA-T-OPP/history');
    await forbidden(otherTeam, 'POST', '/api/v1/tasks/WA-T-OPP/cancel', {});
    // Nor work about nothing, which only its assignee's reach admits.
    await forbidden(owner, 'GET', '/api/v1/tasks/WA-T-NONE/history');
    await forbidden(owner, 'POST', '/api/v1/tasks/WA-T-NONE/complete', {});
  });

  it('work on a shared account is read and edited by whoever may edit the account; a read-only role only reads', async () => {
    await ok(otherTeam, 'GET', '/api/v1/tasks/WA-T-CUST/history');
    await ok(otherTeam, 'PATCH', '/api/v1/tasks/WA-T-CUST', { priority: 'low' });
    await ok(compliance, 'GET', '/api/v1/tasks/WA-T-CUST/history');
    await ok(compliance, 'GET', '/api/v1/tasks/WA-T-OPP/history');
    await forbidden(compliance, 'POST', '/api/v1/tasks/WA-T-CUST/complete', {});
    await forbidden(compliance, 'PATCH', '/api/v1/activities/WA-A-LEAD', { subject: 'audit' });
  });

  it('follows the related record’s owner as it is today', async () => {
    await ok(admin, 'PUT', '/api/v1/opportunities/WA-OPP/owner', { owner_id: 'rep-w' });
    await ok(admin, 'POST', '/api/v1/tasks/WA-T-OPP/reassign', { assigned_to: 'rep-x' });
    await ok(otherTeam, 'GET', '/api/v1/tasks/WA-T-OPP/history');
    await forbidden(owner, 'GET', '/api/v1/tasks/WA-T-OPP/history');
    await forbidden(owner, 'POST', '/api/v1/tasks/WA-T-OPP/complete', {});
  });
  it('read-your-writes waits for the related record too: work on a deal created just before is seen by whoever reaches the deal', async () => {
    const held = await holdWrites(app.database.url, 'opportunities');
    try {
      await ok(owner, 'POST', '/api/v1/opportunities', { id: 'WA-OPP-LATE', customer_id: 'WA-CUST', amount: '20.00' });
      await ok(admin, 'POST', '/api/v1/tasks', { id: 'WA-T-LATE', title: 'on the new deal', due_date: due(), assigned_to: 'rep-x', related_to: { type: 'opportunity', id: 'WA-OPP-LATE' } });
      const at = position;
      const one = send(manager, 'GET', `/api/v1/tasks/WA-T-LATE?min_position=${at}`);
      const list = send(manager, 'GET', `/api/v1/tasks?min_position=${at}&limit=100`);
      await held.release(300);
      expect((await one).status).to.equal(200);
      expect((await list).body.data.map((t: { id: string }) => t.id)).to.include('WA-T-LATE');
    } finally {
      await held.release();
    }
  });
});
