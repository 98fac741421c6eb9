import { expect } from 'chai';
import { fromRecorded } from '../../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { STAGE_TASKS, stageTasks } from '../../src/workflows/stageTasks.js';
import { derivedId, subscriptionName } from '../../src/workflows/workflow.js';
import { expectError, fieldsOf } from '../http/opportunityHelpers.js';
import { appPerSuite } from '../support/app.js';
import { eventually, restartWorkflowsFromZero, noReadModels } from './support.js';

/**
 * Per-stage task templates end to end: configured over REST, applied by the stage-tasks
 * workflow when a deal enters the stage, observed in the task list.
 */
describe('workflow: stage task templates', function () {
  this.timeout(120_000);
  const suite = appPerSuite();
  const admin = { userId: 'admin-1', roles: ['admin'] };
  const rep = { userId: 'user-200', roles: ['sales_rep'] };
  const otherRep = { userId: 'user-201', roles: ['sales_rep'] };
  const TEMPLATE = '/api/v1/pipeline/stages/proposal/task-template';


  const proposalTasks = [
    { title: 'Send the proposal', description: 'Use the latest quote', type: 'email', priority: 'high', due_in_days: 2 },
    { title: 'Legal review', due_in_days: 5, assignee: 'user', assignee_id: 'legal-1' },
  ];
  type Task = { id: string; title: string; assigned_to: string; related_to: { type: string; id: string }; priority: string; type: string; due_date: string };
  const tasksOn = async (opportunityId: string, identity: Record<string, unknown> = rep): Promise<Task[]> => {
    const res = await suite.app.request('GET', `/api/v1/tasks?related_type=opportunity&related_id=${opportunityId}`, { identity });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.data as Task[];
  };
  const createDeal = async (id: string, stage: string) => {
    const res = await suite.app.request('POST', '/api/v1/opportunities', {
      identity: rep,
      body: { id, customer_id: 'CUST-1', name: `Deal ${id}`, amount: '1000.00', currency: 'USD', stage, expected_close_date: '2999-06-30' },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
  };
  const move = async (id: string, stage: string) => {
    const res = await suite.app.request('PUT', `/api/v1/opportunities/${id}/stage`, { identity: rep, body: { stage } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  };

  it('an admin configures a stage template (validated, audited); others read it and may not change it', async () => {
    const empty = await suite.app.request('GET', TEMPLATE, { identity: rep });
    expect(empty.body).to.deep.include({ stage: 'PROPOSAL', tasks: [], revision: '-1' });

    expectError(await suite.app.request('PUT', TEMPLATE, { identity: rep, body: { tasks: proposalTasks } }), 403, 'FORBIDDEN');
    const noId = expectError(await suite.app.request('PUT', TEMPLATE, { identity: admin, body: { tasks: [{ title: 'x', due_in_days: 1, assignee: 'user' }] } }), 400, 'VALIDATION_ERROR');
    expect(fieldsOf(noId)).to.include('tasks.0.assignee_id');
    const tooLate = expectError(await suite.app.request('PUT', TEMPLATE, { identity: admin, body: { tasks: [{ title: 'x', due_in_days: 400 }] } }), 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(tooLate)).to.include('tasks.0.due_in_days');
    expectError(await suite.app.request('PUT', '/api/v1/pipeline/stages/nirvana/task-template', { identity: admin, body: { tasks: [] } }), 400, 'VALIDATION_ERROR');
    expectError(await suite.app.request('GET', '/api/v1/pipeline/stages/nirvana/task-template', { identity: admin }), 404, 'NOT_FOUND');

    const put = await suite.app.request('PUT', TEMPLATE, { identity: admin, body: { tasks: proposalTasks } });
    expect(put.status, JSON.stringify(put.body)).to.equal(200);
    expect(put.headers.get('etag')).to.equal('"0"');
    expect(put.body.tasks[1]).to.deep.equal({ title: 'Legal review', description: null, type: 'follow_up', priority: 'normal', due_in_days: 5, assignee: 'user', assignee_id: 'legal-1' });
    const history = await suite.app.request('GET', `${TEMPLATE}/history`, { identity: rep });
    expect(history.body.data).to.have.length(1);
    expect(history.body.data[0]).to.include({ actor: 'admin-1', event_type: 'StageTaskTemplateConfiguredEvent' });
    expect(history.body.data[0].tasks[0]).to.include({ title: 'Send the proposal', assignee: 'opportunity_owner' });
    // The alias and any case reach the same template.
    expect((await suite.app.request('GET', '/api/v1/pipeline/stages/Proposal/task-template', { identity: rep })).body.tasks).to.have.length(2);
  });

  it("a deal entering PROPOSAL gets the template's tasks within seconds; a rep who may not see the deal does not see them", async () => {
    await createDeal('OPP-WF1', 'qualification');
    await move('OPP-WF1', 'proposal');
    const tasks = await eventually('the template tasks', async () => {
      const t = await tasksOn('OPP-WF1');
      return t.length === 2 ? t : undefined;
    });
    const byTitle = Object.fromEntries(tasks.map((t) => [t.title, t]));
    expect(byTitle['Send the proposal']).to.include({ assigned_to: 'user-200', priority: 'high', type: 'email' });
    expect(byTitle['Legal review']).to.include({ assigned_to: 'legal-1', priority: 'normal', type: 'follow_up' });
    expect(tasks.every((t) => t.related_to.type === 'opportunity' && t.related_to.id === 'OPP-WF1')).to.equal(true);
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    expect(byTitle['Send the proposal']!.due_date.slice(0, 10)).to.be.oneOf([day(2), day(3)]);
    expect(await tasksOn('OPP-WF1', otherRep)).to.deep.equal([]);
    const all = await suite.app.request('GET', '/api/v1/tasks', { identity: otherRep });
    expect(all.body.data).to.deep.equal([]);
  });

  it('exactly once per entry: a replay from 0 after the template changed adds nothing; re-entering is a new entry under the template then', async () => {
    const before = (await tasksOn('OPP-WF1')).map((t) => t.id).sort();
    expect(before).to.have.length(2);
    const edit = await suite.app.request('PUT', TEMPLATE, { identity: admin, body: { tasks: [{ title: 'Chase the decision', due_in_days: 1 }] } });
    expect(edit.status).to.equal(200);

    await restartWorkflowsFromZero(suite.app, subscriptionName(STAGE_TASKS));
    expect((await tasksOn('OPP-WF1')).map((t) => t.id).sort()).to.deep.equal(before);

    await move('OPP-WF1', 'qualification');
    await move('OPP-WF1', 'proposal');
    const after = await eventually('the re-entry task', async () => {
      const t = await tasksOn('OPP-WF1');
      return t.length === 3 ? t : undefined;
    });
    expect(after.filter((t) => !before.includes(t.id)).map((t) => t.title)).to.deep.equal(['Chase the decision']);
  });

  it('a deal created in the stage gets its tasks too; a stage without a template gives none', async () => {
    await createDeal('OPP-WF3', 'negotiation');
    await createDeal('OPP-WF2', 'proposal');
    await eventually('the created deal task', async () => ((await tasksOn('OPP-WF2')).length === 1 ? true : undefined));
    // OPP-WF3's entry came before OPP-WF2's in the log, so the workflow is past it.
    expect(await tasksOn('OPP-WF3')).to.deep.equal([]);
  });

  it('applies the template as it stood at the entry, not a later edit (a workflow running late or replaying)', async () => {
    await createDeal('OPP-WF4', 'proposal');
    const store = createPostgresEventStore({ connection: suite.app.database.url });
    try {
      const [entry] = (await store.readStream('opportunity-tenant-001:OPP-WF4')).map((r) => fromRecorded(r));
      await suite.app.request('PUT', TEMPLATE, { identity: admin, body: { tasks: proposalTasks } });
      const commands = await stageTasks.react(entry!, { store, db: suite.app.app.db, ...noReadModels(store) });
      expect(commands.map((c) => c.type)).to.deep.equal(['CreateTask']);
      expect(commands[0]!.aggregateId).to.equal(derivedId(STAGE_TASKS, entry!, '0'));
    } finally {
      await store.close();
    }
    const tasks = await eventually('the task of the template in force at the entry', async () => {
      const t = await tasksOn('OPP-WF4');
      return t.length > 0 ? t : undefined;
    });
    expect(tasks.map((t) => t.title)).to.deep.equal(['Chase the decision']);
  });
});
