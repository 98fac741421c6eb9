import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, expectError } from './opportunityHelpers.js';

/**
 * Activities and tasks (seed 003) from outside: commands with their events and actors, filters,
 * paging, read-your-writes, the access scopes (own / team / all, and the records one owns) and
 * the seed 004 error envelope.
 */
describe('HTTP API: activities and tasks', function () {
  this.timeout(60_000);
  let app: TestApp;
  let position = '';
  const T = 'tenant-work';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const mgr = { tenantId: T, userId: 'mgr-1', roles: ['sales_manager'] };
  const repA = { tenantId: T, userId: 'rep-a', roles: ['sales_rep'] };
  const repB = { tenantId: T, userId: 'rep-b', roles: ['sales_rep'] };
  const repC = { tenantId: T, userId: 'rep-c', roles: ['sales_rep'] };
  type Who = typeof admin;
  const send = async (who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await app.request(method, path, { identity: who, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
    if (res.body?.position) position = res.body.position;
    return res;
  };
  const ok = async (who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await send(who, method, path, body, headers);
    expect(res.status, `${method} ${path} as ${who.userId}: ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    return res;
  };
  const get = (who: Who, path: string) => send(who, 'GET', `${path}${path.includes('?') ? '&' : '?'}min_position=${position}`);
  const ids = async (who: Who, path: string) => {
    const res = await get(who, path);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.data.map((d: { id: string }) => d.id).sort();
  };
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

  before(async () => {
    app = await startTestApp();
    await ok(admin, 'POST', '/api/v1/teams', { id: 'TW1', name: 'East', manager_id: 'mgr-1', member_ids: ['rep-a', 'rep-b'] });
    await ok(repC, 'POST', '/api/v1/leads', { id: 'WL-C', source: 'web', email: 'c@example.com' });
    await ok(repC, 'POST', BASE, { id: 'WO-C', customer_id: 'WC-1', amount: '10.00', expected_close_date: '2026-12-01' });
    await get(admin, '/api/v1/teams/TW1');
  });
  after(async () => app?.stop());

  it('an activity: created (seed 003 ActivityCreatedEvent), updated, completed, reopened, cancelled, each event with its actor', async () => {
    const created = await ok(repA, 'POST', '/api/v1/activities', {
      id: 'ACT-1',
      type: 'Call',
      subject: 'Discovery call',
      related_to: { type: 'customer', id: 'WC-1' },
      due_date: '2026-03-05T10:00:00+01:00',
    });
    expect(created.status).to.equal(201);
    expect(created.headers.get('location')).to.equal('/api/v1/activities/ACT-1');
    expect(created.body).to.include({ id: 'ACT-1', type: 'call', owner_id: 'rep-a', status: 'planned', priority: 'normal', due_date: '2026-03-05T09:00:00.000Z' });
    const etag = created.headers.get('etag')!;

    // A no-op update records nothing: same revision.
    const same = await ok(repA, 'PATCH', '/api/v1/activities/ACT-1', { subject: 'Discovery call' }, { 'if-match': etag });
    expect(same.body.revision).to.equal(created.body.revision);
    const patched = await ok(repA, 'PATCH', '/api/v1/activities/ACT-1', { priority: 'HIGH', description: 'budget?' }, { 'if-match': etag });
    expect(patched.body).to.include({ priority: 'high', description: 'budget?' });
    expectError(await send(repA, 'PATCH', '/api/v1/activities/ACT-1', { priority: 'low' }, { 'if-match': etag }), 409, 'CONFLICT');

    expectError(await send(repB, 'POST', '/api/v1/activities/ACT-1/complete', {}), 403, 'FORBIDDEN');
    const done = await ok(mgr, 'POST', '/api/v1/activities/ACT-1/complete', { outcome: 'interested' });
    expect(done.body).to.include({ status: 'completed' });
    await ok(repA, 'POST', '/api/v1/activities/ACT-1/reopen');
    await ok(repA, 'POST', '/api/v1/activities/ACT-1/cancel', { reason: 'customer cancelled' });
    expectError(await send(repA, 'POST', '/api/v1/activities/ACT-1/complete', {}), 409, 'CONFLICT');
    expectError(await send(repA, 'POST', '/api/v1/activities/ACT-1/reopen'), 409, 'CONFLICT');

    const history = (await get(repA, '/api/v1/activities/ACT-1/history')).body.data;
    expect(history.map((e: { event_type: string; actor: string }) => [e.event_type, e.actor])).to.deep.equal([
      ['ActivityCreatedEvent', 'rep-a'],
      ['ActivityUpdatedEvent', 'rep-a'],
      ['ActivityCompletedEvent', 'mgr-1'],
      ['ActivityReopenedEvent', 'rep-a'],
      ['ActivityCancelledEvent', 'rep-a'],
    ]);
    const row = await get(repA, '/api/v1/activities/ACT-1');
    expect(row.body).to.include({ status: 'cancelled', priority: 'high', overdue: false });
    expect(row.body.related_to).to.deep.equal({ type: 'customer', id: 'WC-1' });
    expect(row.headers.get('etag')).to.equal(`"${row.body.revision}"`);
  });

  it('a task: created, reassigned within reach, completed (seed 003 TaskCompletedEvent), reopened; rules as 409/400', async () => {
    const t = await ok(repA, 'POST', '/api/v1/tasks', { id: 'TSK-1', title: 'Send proposal', due_date: inDays(3), related_to: { type: 'opportunity', id: 'WO-C' }, priority: 'urgent' });
    expect(t.body).to.include({ id: 'TSK-1', assigned_to: 'rep-a', status: 'open', priority: 'urgent', type: 'follow_up', overdue: false });
    expectError(await send(repA, 'POST', '/api/v1/tasks/TSK-1/reassign', { assigned_to: 'rep-c' }), 403, 'FORBIDDEN');
    expectError(await send(repA, 'POST', '/api/v1/tasks', { title: 'for C', due_date: inDays(1), assigned_to: 'rep-c' }), 403, 'FORBIDDEN');
    await ok(mgr, 'POST', '/api/v1/tasks/TSK-1/reassign', { assigned_to: 'rep-b', reason: 'holiday' });
    const done = await ok(repB, 'POST', '/api/v1/tasks/TSK-1/complete', {});
    expect(done.body.status).to.equal('completed');
    expect(done.body.completed_date).to.be.a('string');
    expectError(await send(repB, 'POST', '/api/v1/tasks/TSK-1/cancel', {}), 409, 'CONFLICT');
    await ok(repB, 'POST', '/api/v1/tasks/TSK-1/reopen', { reason: 'not sent after all' });
    await ok(repB, 'POST', '/api/v1/tasks/TSK-1/cancel', { reason: 'deal lost' });
    expectError(await send(repB, 'POST', '/api/v1/tasks/TSK-1/complete', {}), 409, 'CONFLICT');
    expectError(await send(repB, 'POST', '/api/v1/tasks/TSK-1/reopen', {}), 409, 'CONFLICT');
    const history = (await get(admin, '/api/v1/tasks/TSK-1/history')).body.data;
    expect(history.map((e: { event_type: string }) => e.event_type)).to.deep.equal([
      'TaskCreatedEvent',
      'TaskReassignedEvent',
      'TaskCompletedEvent',
      'TaskReopenedEvent',
      'TaskCancelledEvent',
    ]);
    expect(history[2]).to.include({ actor: 'rep-b' });
  });

  it('bad input is the seed 004 envelope, never 500', async () => {
    expectError(await send(repA, 'POST', '/api/v1/tasks', { title: 'x', due_date: '2020-01-01' }), 400, 'VALIDATION_ERROR');
    expectError(await send(repA, 'POST', '/api/v1/tasks', { title: 'x', due_date: 'soon' }), 400, 'VALIDATION_ERROR');
    expectError(await send(repA, 'POST', '/api/v1/activities', { type: 'fax', subject: 's', related_to: { type: 'lead', id: 'L' } }), 400, 'VALIDATION_ERROR');
    expectError(await send(repA, 'POST', '/api/v1/activities', { type: 'call', subject: 's', related_to: { type: 'invoice', id: 'L' } }), 400, 'VALIDATION_ERROR');
    expectError(await send(repA, 'PATCH', '/api/v1/tasks/none', {}), 400, 'VALIDATION_ERROR');
    expectError(await send(repA, 'GET', '/api/v1/tasks/none'), 404, 'NOT_FOUND');
    expectError(await send(repA, 'POST', '/api/v1/tasks/none/complete', {}), 404, 'NOT_FOUND');
    expectError(await send(repA, 'PATCH', '/api/v1/activities/none', { subject: 'x' }), 404, 'NOT_FOUND');
    expectError(await send(repA, 'GET', '/api/v1/tasks?overdue=maybe&due_before=yesterday'), 400, 'VALIDATION_ERROR');
    expectError(await send(repA, 'GET', '/api/v1/tasks?related_id=X'), 400, 'VALIDATION_ERROR');
    expectError(await send(repA, 'PATCH', '/api/v1/activities/ACT-1', { subject: 'y' }, { 'if-match': 'nonsense' }), 400, 'VALIDATION_ERROR');
  });

  it('lists: filters by assignee, related record, status, due window, overdue; paging; scopes own/team/all and the records one owns', async () => {
    await ok(repA, 'POST', '/api/v1/tasks', { id: 'TL-A1', title: 'a1', due_date: inDays(1), related_to: { type: 'lead', id: 'WL-A' } });
    await ok(repA, 'POST', '/api/v1/tasks', { id: 'TL-A2', title: 'a2', due_date: inDays(10) });
    await ok(repB, 'POST', '/api/v1/tasks', { id: 'TL-B1', title: 'b1', due_date: inDays(2), priority: 'high' });
    await ok(repC, 'POST', '/api/v1/tasks', { id: 'TL-C1', title: 'c1', due_date: inDays(5) });
    // The admin's task on rep-c's lead: rep-c sees it (its record), as it sees TSK-1 on its deal.
    await ok(admin, 'POST', '/api/v1/tasks', { id: 'TL-ADM', title: 'on C lead', due_date: inDays(4), assigned_to: 'admin-1', related_to: { type: 'lead', id: 'WL-C' } });
    const soon = new Date(Date.now() + 1500).toISOString();
    await ok(repA, 'POST', '/api/v1/tasks', { id: 'TL-A3', title: 'a3 soon overdue', due_date: soon });

    const L = '/api/v1/tasks';
    expect(await ids(repA, L)).to.deep.equal(['TL-A1', 'TL-A2', 'TL-A3']);
    expect(await ids(repB, L)).to.deep.equal(['TL-B1', 'TSK-1']);
    // rep-c: its own, the one on its lead, and TSK-1 (on its deal).
    expect(await ids(repC, L)).to.deep.equal(['TL-ADM', 'TL-C1', 'TSK-1']);
    expect(await ids(mgr, L)).to.deep.equal(['TL-A1', 'TL-A2', 'TL-A3', 'TL-B1', 'TSK-1']);
    expect((await ids(admin, L)).length).to.equal(7);
    expectError(await get(repA, `${L}?assigned_to=rep-b`), 403, 'FORBIDDEN');
    expectError(await get(repA, `${L}/TL-B1`), 403, 'FORBIDDEN');
    expect((await get(repC, `${L}/TL-ADM`)).status).to.equal(200);

    expect(await ids(mgr, `${L}?assigned_to=rep-b`)).to.deep.equal(['TL-B1', 'TSK-1']);
    expect(await ids(admin, `${L}?related_type=lead&related_id=WL-C`)).to.deep.equal(['TL-ADM']);
    expect(await ids(admin, `${L}?related_type=opportunity`)).to.deep.equal(['TSK-1']);
    expect(await ids(admin, `${L}?status=cancelled`)).to.deep.equal(['TSK-1']);
    expect(await ids(admin, `${L}?priority=high`)).to.deep.equal(['TL-B1']);
    expect(await ids(admin, `${L}?due_after=${encodeURIComponent(inDays(3))}&status=open`)).to.deep.equal(['TL-A2', 'TL-C1', 'TL-ADM'].sort());
    expect(await ids(admin, `${L}?due_before=${encodeURIComponent(inDays(1.5))}&status=open`)).to.deep.equal(['TL-A1', 'TL-A3']);

    // Seed 004 pagination, by due date.
    const page = await get(admin, `${L}?status=open&limit=2&offset=1`);
    expect(page.body.pagination).to.deep.equal({ total: 6, limit: 2, offset: 1, has_more: true });
    expect(page.body.data.map((d: { id: string }) => d.id)).to.deep.equal(['TL-A1', 'TL-B1']);

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(soon) - Date.now() + 100)));
    expect(await ids(repA, `${L}?overdue=true`)).to.deep.equal(['TL-A3']);
    expect((await get(repA, `${L}/TL-A3`)).body.overdue).to.equal(true);
    expect(await ids(repA, `${L}?overdue=false`)).to.deep.equal(['TL-A1', 'TL-A2']);

    // Activities: past due dates are allowed (planned in the past is overdue), owner filter, scope.
    await ok(repB, 'POST', '/api/v1/activities', { id: 'ACT-B', type: 'meeting', subject: 'late', related_to: { type: 'lead', id: 'WL-C' }, due_date: '2026-01-01' });
    await ok(repC, 'POST', '/api/v1/activities', { id: 'ACT-C', type: 'email', subject: 'sent', related_to: { type: 'opportunity', id: 'WO-C' }, completed_date: '2026-01-02' });
    expect(await ids(repB, '/api/v1/activities?overdue=true')).to.deep.equal(['ACT-B']);
    expect(await ids(repC, '/api/v1/activities')).to.deep.equal(['ACT-B', 'ACT-C']);
    expect(await ids(mgr, '/api/v1/activities?owner_id=rep-a')).to.deep.equal(['ACT-1']);
    expect(await ids(admin, '/api/v1/activities?type=email&status=completed')).to.deep.equal(['ACT-C']);
  });
});
