import { workflows } from '../../src/workflows/index.js';
import { expect } from 'chai';
import { TABLE } from '../../src/subscriptions/checkpoints.js';
import { LEAD_FOLLOW_UP } from '../../src/workflows/leadFollowUp.js';
import { subscriptionName } from '../../src/workflows/workflow.js';
import { appPerSuite } from '../support/app.js';
import { eventually, restartWorkflowsFromZero } from './support.js';

/**
 * Seed 003's lead qualification workflow end to end: the real service, its workflows running
 * as subscriptions; effects observed through the REST API only.
 */
describe('workflow: lead qualified -> follow-up task', function () {
  this.timeout(90_000);
  const suite = appPerSuite();
  const rep = { userId: 'user-200', roles: ['sales_rep'] };


  const lead = (id: string) => ({
    id,
    source: 'webinar',
    first_name: 'John',
    last_name: 'Doe',
    email: 'john.doe@example.com',
    company: 'Globex Industrial',
    title: 'VP Engineering',
    industry: 'Technology',
    employee_count: 500,
    annual_revenue: 50000000,
  });
  const tasksOf = async (query: string, identity: Record<string, unknown> = rep) => {
    const res = await suite.app.request('GET', `/api/v1/tasks?${query}`, { identity });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.data as { id: string; title: string; assigned_to: string; related_to: { type: string; id: string }; due_date: string; type: string }[];
  };

  it('a qualified lead gets one follow-up for its owner; the task stays on the lead and shows under what it converted into', async () => {
    expect((await suite.app.request('POST', '/api/v1/leads', { body: lead('LEAD-WF1'), identity: rep })).status).to.equal(201);
    const q = await suite.app.request('POST', '/api/v1/leads/LEAD-WF1/qualify', { identity: rep });
    expect(q.body.status).to.equal('qualified');

    const tasks = await eventually('the follow-up task', async () => {
      const t = await tasksOf('related_type=lead&related_id=LEAD-WF1');
      return t.length > 0 ? t : undefined;
    });
    expect(tasks).to.have.length(1);
    const task = tasks[0]!;
    expect(task).to.include({ title: 'Follow up with Globex Industrial', assigned_to: 'user-200', type: 'follow_up' });
    expect(task.related_to).to.deep.equal({ type: 'lead', id: 'LEAD-WF1' });
    // Due at the end of the second UTC day after the qualification.
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    expect(task.due_date).to.be.oneOf([`${day}T23:59:59.999Z`, `${new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10)}T23:59:59.999Z`]);

    const history = await suite.app.request('GET', `/api/v1/tasks/${task.id}/history`, { identity: { roles: ['admin'] } });
    expect(history.body.data[0]).to.include({ actor: 'system:workflow:lead-follow-up' });

    const converted = await suite.app.request('POST', '/api/v1/leads/LEAD-WF1/convert', {
      identity: rep,
      body: { opportunity_name: 'Globex - Platform', amount: 50000, expected_close_date: '2999-04-30', stage: 'qualification' },
    });
    expect(converted.status, JSON.stringify(converted.body)).to.equal(201);
    const { opportunity_id, customer_id } = converted.body as { opportunity_id: string; customer_id: string };
    await eventually('the task under the opportunity', async () => ((await tasksOf(`related_type=opportunity&related_id=${opportunity_id}`)).length === 1 ? true : undefined));
    const byCustomer = await tasksOf(`related_type=customer&related_id=${customer_id}`);
    expect(byCustomer.map((t) => t.id)).to.deep.equal([task.id]);
    expect((await tasksOf('related_type=lead&related_id=LEAD-WF1')).map((t) => t.related_to)).to.deep.equal([{ type: 'lead', id: 'LEAD-WF1' }]);
    // Another rep sees nothing of it.
    expect(await tasksOf(`related_type=opportunity&related_id=${opportunity_id}`, { userId: 'user-201', roles: ['sales_rep'] })).to.deep.equal([]);
  });

  it('runs as subscriptions under leases: in /health and the subscription metrics', async () => {
    const health = await eventually('the workflows holding their leases', async () => {
      const h = await suite.app.request('GET', '/health', { auth: false });
      return workflows.every((w) => h.body.subscriptions?.[subscriptionName(w.name)]) ? h : undefined;
    });
    expect((health.body.workflows as { name: string; running: boolean }[]).map((w) => [w.name, w.running])).to.deep.equal(
      workflows.map((w) => [subscriptionName(w.name), true]),
    );
    const metrics = await (await fetch(`${suite.app.url}/metrics`)).text();
    expect(metrics).to.match(/crm_subscription_leader\{subscription="workflow:lead-follow-up"\} 1/);
  });

  it('exactly one follow-up per qualification after the checkpoint is reset to 0 and replayed', async () => {
    for (const id of ['LEAD-WF2', 'LEAD-WF3']) {
      await suite.app.request('POST', '/api/v1/leads', { body: lead(id), identity: rep });
      await suite.app.request('POST', `/api/v1/leads/${id}/qualify`, { identity: rep });
    }
    await eventually('both follow-ups', async () => ((await tasksOf('type=follow_up')).length === 3 ? true : undefined));
    const replayed = await restartWorkflowsFromZero(suite.app, subscriptionName(LEAD_FOLLOW_UP));
    expect(replayed).to.equal(true);
    const all = await tasksOf('type=follow_up');
    expect(all.map((t) => t.related_to.id).sort()).to.deep.equal(['LEAD-WF1', 'LEAD-WF2', 'LEAD-WF3']);
    const row = (await suite.app.app.db(TABLE).where({ name: subscriptionName(LEAD_FOLLOW_UP) }).first()) as { position_commit: string };
    expect(Number(row.position_commit)).to.be.greaterThan(0);
  });
});
