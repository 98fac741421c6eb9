import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { toEventToAppend } from '../../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { streamName } from '../../src/eventstore/streams.js';
import { customerTimelineProjection } from '../../src/projections/customerTimeline.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { type TestApp, startTestApp } from '../support/app.js';

/**
 * Issue 11, Customer 360 complete: the view's recent activities and open tasks (about the
 * customer, its deals and the lead it was converted from), and the interaction timeline
 * (activities done, task completions, stage changes, closes, orders), each within the access
 * policy, paged in a stable order and rebuildable from the log.
 */
describe('HTTP API: Customer 360 work and interaction timeline', function () {
  this.timeout(60_000);
  let app: TestApp;
  let store: EventStore;
  let position = '';
  /** The lead-follow-up workflow's task for the qualified lead (seed 003): open work on the lead too. */
  let followUp = '';
  const T = 'tenant-c360-work';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const repA = { tenantId: T, userId: 'rep-a', roles: ['sales_rep'] };
  const repB = { tenantId: T, userId: 'rep-b', roles: ['sales_rep'] };
  type Who = typeof admin;
  const ok = async (who: Who, method: string, path: string, body?: unknown) => {
    const res = await app.request(method, path, { identity: who, ...(body !== undefined ? { body } : {}) });
    expect(res.status, `${method} ${path} as ${who.userId}: ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    if (res.body?.position) position = res.body.position;
    return res.body;
  };
  const get = (who: Who, path: string) => ok(who, 'GET', `${path}${path.includes('?') ? '&' : '?'}min_position=${encodeURIComponent(position)}`);
  const due = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const lead = {
    source: 'webinar',
    email: 'jo@example.com',
    company: 'Convert Co',
    title: 'VP Engineering',
    industry: 'Technology',
    employee_count: 500,
    annual_revenue: 50000000,
  };

  before(async () => {
    app = await startTestApp();
    store = createPostgresEventStore({ connection: app.database.url, pollMs: 50 });
    // A lead of rep-a, worked on, qualified and converted into the account CW-CUST with a first deal.
    await ok(repA, 'POST', '/api/v1/customers', { customer_id: 'CW-CUST', name: 'Convert Co' });
    await ok(repA, 'POST', '/api/v1/leads', { id: 'CW-LEAD', ...lead });
    await ok(repA, 'POST', '/api/v1/tasks', { id: 'CW-T-LEAD', title: 'qualify', due_date: due(2), related_to: { type: 'lead', id: 'CW-LEAD' } });
    await ok(repA, 'POST', '/api/v1/activities', { id: 'CW-A-LEAD', type: 'call', subject: 'first call', related_to: { type: 'lead', id: 'CW-LEAD' }, completed_date: '2026-01-05T10:00:00Z' });
    await ok(repA, 'POST', '/api/v1/leads/CW-LEAD/qualify', {});
    await ok(repA, 'POST', '/api/v1/leads/CW-LEAD/convert', { customer_id: 'CW-CUST', opportunity_name: 'First deal', amount: '100.00', stage: 'qualification' });
    // Deals of two reps, work on each, and on the account itself.
    await ok(repA, 'POST', '/api/v1/opportunities', { id: 'CW-OPP-A', customer_id: 'CW-CUST', amount: '10.00', stage: 'QUALIFICATION' });
    await ok(repB, 'POST', '/api/v1/opportunities', { id: 'CW-OPP-B', customer_id: 'CW-CUST', amount: '20.00', stage: 'QUALIFICATION' });
    await ok(repB, 'POST', '/api/v1/tasks', { id: 'CW-T-B', title: 'b task', due_date: due(1), related_to: { type: 'opportunity', id: 'CW-OPP-B' } });
    await ok(repB, 'POST', '/api/v1/activities', { id: 'CW-A-B', type: 'email', subject: 'b email', related_to: { type: 'opportunity', id: 'CW-OPP-B' } });
    await ok(repB, 'POST', '/api/v1/activities/CW-A-B/complete', { completed_date: '2026-01-07T10:00:00Z', outcome: 'sent' });
    await ok(repA, 'POST', '/api/v1/tasks', { id: 'CW-T-CUST', title: 'renewal', due_date: due(3), related_to: { type: 'customer', id: 'CW-CUST' } });
    await ok(repA, 'POST', '/api/v1/tasks', { id: 'CW-T-DONE', title: 'send deck', due_date: due(4), related_to: { type: 'opportunity', id: 'CW-OPP-A' } });
    await ok(repA, 'POST', '/api/v1/tasks/CW-T-DONE/complete', {});
    await ok(repA, 'PUT', '/api/v1/opportunities/CW-OPP-A/stage', { stage: 'PROPOSAL' });
    await ok(repA, 'POST', '/api/v1/opportunities/CW-OPP-A/close', { outcome: 'lost', reason: 'price' });
    // Eleven planned meetings: the view keeps the latest ten.
    for (let i = 0; i < 11; i++) {
      await ok(repA, 'POST', '/api/v1/activities', { id: `CW-M-${i}`, type: 'meeting', subject: `meeting ${i}`, related_to: { type: 'customer', id: 'CW-CUST' } });
    }
    // Work elsewhere never shows.
    await ok(repA, 'POST', '/api/v1/customers', { customer_id: 'CW-OTHER', name: 'Other' });
    await ok(repA, 'POST', '/api/v1/tasks', { id: 'CW-T-OTHER', title: 'other', due_date: due(1), related_to: { type: 'customer', id: 'CW-OTHER' } });
    // An order closes rep-b's deal (as the offers bridge's OrderCreated will): ClosedWon with orderId.
    const stream = streamName({ category: 'opportunity', tenantId: T, aggregateId: 'CW-OPP-B' });
    const last = (await store.readStream(stream)).at(-1)!;
    const written = await store.append(
      stream,
      [
        toEventToAppend(
          {
            type: 'OpportunityClosedWonEvent',
            data: { opportunityId: 'CW-OPP-B', customerId: 'CW-CUST', amount: '20.00', currency: 'USD', closeDate: '2026-02-01', fromStage: 'QUALIFICATION', toStage: 'CLOSED_WON', orderId: 'ORD-7' },
          },
          { eventId: randomUUID(), timestamp: new Date(), aggregateId: 'CW-OPP-B', tenantId: T, metadata: { correlationId: randomUUID(), causationId: null, userId: 'system:orders', schemaVersion: 1 } },
        ),
      ],
      last.revision,
    );
    position = `${written.position.commit}/${written.position.prepare}`;
    for (const deadline = Date.now() + 30_000; !followUp && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const onLead = (await ok(admin, 'GET', '/api/v1/tasks?related_type=lead&related_id=CW-LEAD')).data as { id: string; type: string }[];
      followUp = onLead.find((t) => t.id !== 'CW-T-LEAD')?.id ?? '';
    }
    expect(followUp, 'the follow-up of the qualified lead').to.not.equal('');
  });
  after(async () => {
    await store?.close();
    await app?.stop();
  });

  it('the 360 view: the latest ten activities and the open tasks on the account, its deals and its lead, as the caller may see them', async () => {
    const v = await get(admin, '/api/v1/customers/CW-CUST');
    expect(v.activity_count).to.equal(13);
    expect(v.recent_activities.map((a: { id: string }) => a.id)).to.deep.equal(['CW-M-10', 'CW-M-9', 'CW-M-8', 'CW-M-7', 'CW-M-6', 'CW-M-5', 'CW-M-4', 'CW-M-3', 'CW-M-2', 'CW-M-1']);
    // By due date (the follow-up is due with CW-T-LEAD, then by id).
    expect(v.open_tasks.map((t: { id: string }) => t.id)).to.deep.equal(['CW-T-B', 'CW-T-LEAD', followUp, 'CW-T-CUST']);
    expect(v.open_task_count).to.equal(4);

    // rep-b: its own deal's work and the shared account's; not rep-a's lead or deal.
    const b = await get(repB, '/api/v1/customers/CW-CUST');
    expect(b.open_tasks.map((t: { id: string }) => t.id)).to.deep.equal(['CW-T-B', 'CW-T-CUST']);
    expect(b.activity_count).to.equal(12);
    expect(b.open_opportunities).to.deep.equal([]); // CW-OPP-B was won
    // The rest through the list, with the same rule.
    const all = await get(repB, '/api/v1/activities?customer_id=CW-CUST&limit=50');
    expect(all.pagination.total).to.equal(12);
    expect(all.data.map((a: { id: string }) => a.id)).to.not.include('CW-A-LEAD');
    expect((await get(admin, '/api/v1/tasks?customer_id=CW-OTHER')).data.map((t: { id: string }) => t.id)).to.deep.equal(['CW-T-OTHER']);
    expect((await get(admin, '/api/v1/activities?customer_id=CW-OTHER')).pagination.total).to.equal(0);
  });

  it('the timeline: activities done, task completions, stage changes, closes and orders, newest first, within the caller’s reach', async () => {
    const t = await get(admin, '/api/v1/customers/CW-CUST/timeline?limit=200');
    const entries = t.data as { kind: string; reference: string; occurred_at: string; entry_id: string; details: Record<string, unknown> }[];
    const kinds = (kind: string) => entries.filter((e) => e.kind === kind).map((e) => e.reference);
    expect(kinds('activity')).to.deep.equal(['CW-A-B', 'CW-A-LEAD']);
    expect(kinds('task_completion')).to.deep.equal(['CW-T-DONE']);
    expect(kinds('close')).to.deep.equal(['CW-OPP-A']);
    expect(kinds('order')).to.deep.equal(['CW-OPP-B']);
    expect(entries.find((e) => e.kind === 'order')!.details).to.include({ order_id: 'ORD-7', outcome: 'won', amount: '20.00', owner_id: 'rep-b' });
    expect(entries.find((e) => e.kind === 'close')!.details).to.include({ outcome: 'lost', reason: 'price', from_stage: 'PROPOSAL' });
    expect(entries.find((e) => e.reference === 'CW-A-B')!.details).to.include({ subject: 'b email', outcome: 'sent', completed_by: 'rep-b' });
    // Created in a stage, then moved: the converted deal, CW-OPP-A twice, CW-OPP-B.
    expect(kinds('stage_change')).to.have.length(4);
    expect(kinds('stage_change').filter((r) => r.startsWith('CW-'))).to.have.members(['CW-OPP-A', 'CW-OPP-A', 'CW-OPP-B']);
    expect(entries.some((e) => e.reference === 'CW-T-OTHER' || e.reference.startsWith('CW-M-'))).to.equal(false); // elsewhere, or not done
    const order = entries.map((e) => [Date.parse(e.occurred_at), e.kind, e.reference, e.entry_id]);
    const bytes = (x: unknown, y: unknown) => (String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0);
    const sorted = [...order].sort((x, y) => (y[0] as number) - (x[0] as number) || bytes(x[1], y[1]) || bytes(x[2], y[2]) || bytes(x[3], y[3]));
    expect(order).to.deep.equal(sorted);

    const b = (await get(repB, '/api/v1/customers/CW-CUST/timeline?kind=activity,task_completion,stage_change,close,order')).data as { reference: string }[];
    expect(b.map((e) => e.reference)).to.have.members(['CW-A-B', 'CW-OPP-B', 'CW-OPP-B']);

    // Paging: the pages together are the whole list, in the same order.
    const seen: unknown[] = [];
    for (let offset = 0; ; offset += 3) {
      const page = await get(admin, `/api/v1/customers/CW-CUST/timeline?limit=3&offset=${offset}`);
      seen.push(...page.data);
      if (!page.pagination.has_more) break;
    }
    expect(seen).to.deep.equal(entries);
  });

  it('follows reopening and reassignment, and rebuilds from the log into the same rows', async () => {
    const seenBy = async (who: Who) =>
      ((await get(who, '/api/v1/customers/CW-CUST/timeline?kind=task_completion,activity')).data as { kind: string; reference: string }[]).map((e) => [e.kind, e.reference]);
    expect(await seenBy(repA)).to.deep.equal([
      ['task_completion', 'CW-T-DONE'],
      ['activity', 'CW-A-LEAD'],
    ]);
    await ok(repA, 'POST', '/api/v1/tasks/CW-T-DONE/reopen', {});
    // rep-b's task on rep-b's deal, handed to rep-a, who completes it: rep-a sees that completion.
    await ok(admin, 'POST', '/api/v1/tasks/CW-T-B/reassign', { assigned_to: 'rep-a' });
    await ok(repA, 'POST', '/api/v1/tasks/CW-T-B/complete', {});
    expect(await seenBy(repA)).to.deep.equal([
      ['task_completion', 'CW-T-B'],
      ['activity', 'CW-A-LEAD'],
    ]);
    // An edit of a done activity shows; moving it to another account takes it off this timeline.
    await ok(repA, 'POST', '/api/v1/activities/CW-A-LEAD/reopen');
    await ok(repA, 'PATCH', '/api/v1/activities/CW-A-LEAD', { subject: 'first call, noted', related_to: { type: 'customer', id: 'CW-OTHER' } });
    await ok(repA, 'POST', '/api/v1/activities/CW-A-LEAD/complete', {});
    expect(await seenBy(repA)).to.deep.equal([['task_completion', 'CW-T-B']]);
    const other = (await get(repA, '/api/v1/customers/CW-OTHER/timeline?kind=activity')).data as { reference: string; details: { subject: string } }[];
    expect(other.map((e) => [e.reference, e.details.subject])).to.deep.equal([['CW-A-LEAD', 'first call, noted']]);
    const rows = () => app.database.db('customer_timeline').where({ tenant_id: T }).orderBy('entry_id');
    const before = await rows();
    await rebuildProjection({ db: app.database.db, store }, customerTimelineProjection);
    expect(await rows()).to.deep.equal(before);
  });
});
