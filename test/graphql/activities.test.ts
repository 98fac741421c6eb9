import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { gql, onlyError } from './support.js';

/** Activities and tasks over GraphQL: the REST use cases, input rules, DTOs and access scopes. */
describe('GraphQL API: activities and tasks', function () {
  this.timeout(60_000);
  let app: TestApp;
  const T = 'tenant-gql-work';
  const rep = { tenantId: T, userId: 'rep-1', roles: ['sales_rep'] };
  const other = { tenantId: T, userId: 'rep-2', roles: ['sales_rep'] };
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const TASK = 'id title type status priority overdue dueDate completedDate assignedTo { id } relatedTo { type id }';

  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  it('activities: create, update, complete, reassign refused outside reach, listed with filters', async () => {
    const created = await gql(
      app,
      rep,
      'mutation { createActivity(input: { id: "GA-1", type: CALL, subject: "Intro", relatedTo: { type: LEAD, id: "L-1" }, dueDate: "2026-01-05" }) { id type subject status priority overdue owner { id } relatedTo { type id } dueDate } }',
    );
    expect(created.errors).to.equal(undefined);
    expect(created.data.createActivity).to.deep.equal({
      id: 'GA-1',
      type: 'CALL',
      subject: 'Intro',
      status: 'PLANNED',
      priority: 'NORMAL',
      overdue: new Date('2026-01-05').getTime() < Date.now(),
      owner: { id: 'rep-1' },
      relatedTo: { type: 'LEAD', id: 'L-1' },
      dueDate: '2026-01-05T00:00:00.000Z',
    });
    const updated = await gql(app, rep, 'mutation { updateActivity(id: "GA-1", input: { priority: HIGH }) { priority } }');
    expect(updated.data.updateActivity.priority).to.equal('HIGH');
    const done = await gql(app, rep, 'mutation { completeActivity(id: "GA-1", outcome: "booked a demo") { status completedDate overdue } }');
    expect(done.data.completeActivity).to.include({ status: 'COMPLETED', overdue: false });
    expect(onlyError(await gql(app, rep, 'mutation { reassignActivity(id: "GA-1", ownerId: "rep-2") { id } }')).code).to.equal('FORBIDDEN');
    expect(onlyError(await gql(app, rep, 'mutation { cancelActivity(id: "GA-1") { id } }')).code).to.equal('CONFLICT');
    const list = await gql(app, rep, '{ activities(status: COMPLETED, relatedType: LEAD, relatedId: "L-1") { totalCount nodes { id } pageInfo { hasMore } } }');
    expect(list.data.activities).to.deep.equal({ totalCount: 1, nodes: [{ id: 'GA-1' }], pageInfo: { hasMore: false } });
    expect((await gql(app, other, '{ activities { totalCount } }')).data.activities.totalCount).to.equal(0);
  });

  it('tasks: create, complete, reopen, cancel; filters and the REST input rules', async () => {
    const due = inDays(2);
    const created = await gql(app, rep, 'mutation($i: CreateTaskInput!) { createTask(input: $i) { ' + TASK + ' } }', {
      i: { id: 'GT-1', title: 'Follow up', dueDate: due, priority: 'URGENT', relatedTo: { type: 'OPPORTUNITY', id: 'O-1' } },
    });
    expect(created.errors).to.equal(undefined);
    expect(created.data.createTask).to.deep.include({ id: 'GT-1', type: 'FOLLOW_UP', status: 'OPEN', priority: 'URGENT', overdue: false, dueDate: due, completedDate: null });
    expect(created.data.createTask.assignedTo).to.deep.equal({ id: 'rep-1' });
    const completed = await gql(app, rep, 'mutation { completeTask(id: "GT-1") { status completedDate } }');
    expect(completed.data.completeTask.status).to.equal('COMPLETED');
    expect(completed.data.completeTask.completedDate).to.be.a('string');
    expect((await gql(app, rep, 'mutation { reopenTask(id: "GT-1", reason: "again") { status } }')).data.reopenTask.status).to.equal('OPEN');
    expect((await gql(app, rep, 'mutation { cancelTask(id: "GT-1") { status } }')).data.cancelTask.status).to.equal('CANCELLED');
    expect(onlyError(await gql(app, rep, 'mutation { completeTask(id: "GT-1") { id } }')).code).to.equal('CONFLICT');

    const past = onlyError(await gql(app, rep, 'mutation { createTask(input: { title: "late", dueDate: "2020-01-01" }) { id } }'));
    expect(past.code).to.equal('VALIDATION_ERROR');
    const bad = onlyError(await gql(app, rep, 'mutation { createTask(input: { title: "x", dueDate: "soon" }) { id } }'));
    expect(bad).to.deep.include({ code: 'VALIDATION_ERROR', fields: ['input.dueDate'] });

    await gql(app, rep, `mutation { createTask(input: { id: "GT-2", title: "Call back", dueDate: "${inDays(5)}", type: CALL }) { id } }`);
    const open = await gql(app, rep, `{ tasks(status: OPEN, dueAfter: "${inDays(1)}", limit: 10) { totalCount nodes { id type } } }`);
    expect(open.data.tasks).to.deep.equal({ totalCount: 1, nodes: [{ id: 'GT-2', type: 'CALL' }] });
    expect((await gql(app, rep, '{ tasks(overdue: true) { totalCount } }')).data.tasks.totalCount).to.equal(0);
    expect(onlyError(await gql(app, rep, '{ tasks(assignedTo: "rep-2") { totalCount } }')).code).to.equal('FORBIDDEN');
    expect((await gql(app, admin, '{ tasks(assignedTo: "rep-1") { totalCount } }')).data.tasks.totalCount).to.equal(2);

    // customerId: work about a customer (here its own account), as REST's customer_id.
    await gql(app, rep, `mutation { createTask(input: { id: "GT-3", title: "Renewal", dueDate: "${inDays(2)}", relatedTo: { type: CUSTOMER, id: "GC-1" } }) { id } }`);
    expect((await gql(app, rep, '{ tasks(customerId: "GC-1") { nodes { id } } }')).data.tasks.nodes).to.deep.equal([{ id: 'GT-3' }]);
  });
});
