import { expect } from 'chai';
import type { AppContext, Caller } from '../../src/commands/context.js';
import { createCustomer, updateCustomer } from '../../src/commands/customers.js';
import { createCommandHandler, deferred } from '../../src/commands/handler.js';
import { loadAggregate, stageSetOf } from '../../src/commands/load.js';
import { configureStages, updateStage } from '../../src/commands/stages.js';
import { STAGE_SET_AGGREGATE_ID } from '../../src/aggregates/pipelineStage/index.js';
import { changeStage, createOpportunity, reassignOpportunity, updateOpportunity } from '../../src/commands/opportunities.js';
import { opportunityAggregate } from '../../src/aggregates/opportunity/index.js';
import { type EventStore, WrongExpectedRevisionError } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { personalDataLayer } from '../../src/privacy/layer.js';
import type { Amount } from '../../src/shared/money.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * The handler keeps the state it last decided on (commands/stateCache.ts) and trusts it only for
 * an append at its revision: two handlers on one store stand for two instances.
 */
describe('command handler: cached aggregate states', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: EventStore;
  const reads = new Map<string, number>();
  /** Appends refused as if another writer got there first (a race, made to order). */
  let lostAppends = 0;
  const tenantId = 'tenant-state-cache';
  const rep = (actorId: string): Caller => ({ access: { tenantId, actorId, roles: ['sales_rep'], managedUsers: [] }, correlationId: 'c' });
  const admin: Caller = { access: { tenantId, actorId: 'admin-1', roles: ['admin'], managedUsers: [] }, correlationId: 'c' };
  const money = (s: string) => s as Amount;
  const stream = (category: string, id: string) => `${category}-${tenantId}:${id}`;

  /** An instance: its own handler (and cache) over the shared store, which counts whole-stream reads. */
  function instance(): AppContext {
    const counted: EventStore = {
      ...store,
      readStream: (streamId, opts) => {
        reads.set(streamId, (reads.get(streamId) ?? 0) + 1);
        return store.readStream(streamId, opts);
      },
      append: async (streamId, events, expected, options) => {
        if (lostAppends > 0 && lostAppends--) throw new WrongExpectedRevisionError(streamId, expected, undefined);
        return store.append(streamId, events, expected, options);
      },
    };
    const layer = personalDataLayer(counted, database.db, undefined);
    return { ...layer, db: database.db, execute: createCommandHandler({ store: layer.store }), stageSetFor: (t) => stageSetOf(counted, t) };
  }
  const readsOf = (streamId: string) => reads.get(streamId) ?? 0;
  const current = async (id: string) => (await loadAggregate(store, opportunityAggregate, tenantId, id)).state;

  before(async () => {
    database = await freshDatabase('state_cache');
    store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  it('decides on the kept state without reading the stream, and keeps what a read would fold', async () => {
    const a = instance();
    const opp = stream('opportunity', 'KEPT');
    await createOpportunity(a, rep('rep-1'), { opportunityId: 'KEPT', customerId: 'C-1', amount: money('100.00'), currency: 'USD', expectedCloseDate: '2027-03-31' });
    const afterCreate = readsOf(opp);
    await changeStage(a, rep('rep-1'), { opportunityId: 'KEPT', stage: 'QUALIFICATION' });
    await updateOpportunity(a, rep('rep-1'), { opportunityId: 'KEPT', amount: money('150.50'), expectedCloseDate: null });
    const last = await changeStage(a, rep('rep-1'), { opportunityId: 'KEPT', stage: 'PROPOSAL', probability: 40 });
    expect(readsOf(opp) - afterCreate).to.equal(0);
    expect(last.revision).to.equal(3n);
    // What the next command would decide on equals the fold of the stream as stored.
    expect(last.state).to.deep.equal(await current('KEPT'));
  });

  it("decides again on a fresh read after another instance's write: a stale no-op, a stale refusal, a lost append", async () => {
    const a = instance();
    const b = instance();
    await createOpportunity(a, rep('rep-1'), { opportunityId: 'SHARED', customerId: 'C-1', amount: money('100.00'), currency: 'USD' });
    await changeStage(a, rep('rep-1'), { opportunityId: 'SHARED', stage: 'QUALIFICATION' }); // a keeps revision 1

    // b moves it on; a's kept state is behind. Asking a for the stage its kept state shows is
    // a no-op there, and a real change on the stream.
    await changeStage(b, rep('rep-1'), { opportunityId: 'SHARED', stage: 'PROPOSAL' });
    const back = await changeStage(a, rep('rep-1'), { opportunityId: 'SHARED', stage: 'QUALIFICATION' });
    expect(back.events.map((e) => e.eventType)).to.deep.equal(['OpportunityStageChangedEvent']);
    expect(back.revision).to.equal(3n);

    // The same again.
    await changeStage(b, rep('rep-1'), { opportunityId: 'SHARED', stage: 'NEGOTIATION' });
    const again = await changeStage(a, rep('rep-1'), { opportunityId: 'SHARED', stage: 'QUALIFICATION' });
    expect(again.events).to.have.length(1);
    expect(again.revision).to.equal(5n);
    // A change on a's kept state, a no-op on the stream's: its append at the kept revision is
    // refused, and decided again it appends nothing.
    await changeStage(b, rep('rep-1'), { opportunityId: 'SHARED', stage: 'PROPOSAL' });
    const same = await changeStage(a, rep('rep-1'), { opportunityId: 'SHARED', stage: 'PROPOSAL' });
    expect(same.events).to.have.length(0);
    expect(same.revision).to.equal(6n);

    // b's admin gives the deal to rep-2: a's kept state (of the no-op's read) says rep-1 owns
    // it, the store says rep-2.
    await reassignOpportunity(b, admin, { opportunityId: 'SHARED', ownerId: 'rep-2' });
    const byNewOwner = await changeStage(a, rep('rep-2'), { opportunityId: 'SHARED', stage: 'NEGOTIATION' });
    expect(byNewOwner.revision).to.equal(8n);
    await reassignOpportunity(b, admin, { opportunityId: 'SHARED', ownerId: 'rep-3' });
    await changeStage(a, rep('rep-2'), { opportunityId: 'SHARED', stage: 'PROPOSAL' }).then(
      () => expect.fail('rep-2 no longer owns it'),
      (err: { code?: string }) => expect(err.code).to.equal('FORBIDDEN'),
    );
    expect(await current('SHARED')).to.include({ ownerId: 'rep-3', stage: 'NEGOTIATION' });
  });

  it('an If-Match is held against the stream, not against the kept state', async () => {
    const a = instance();
    const b = instance();
    await createOpportunity(a, rep('rep-1'), { opportunityId: 'MATCH', customerId: 'C-1', amount: money('100.00'), currency: 'USD' });
    await changeStage(b, rep('rep-1'), { opportunityId: 'MATCH', stage: 'QUALIFICATION' }); // revision 1; a keeps 0
    // The revision the client saw is the stream's: accepted, though a kept revision 0.
    const ok = await changeStage(a, { ...rep('rep-1'), expectedRevision: 1n }, { opportunityId: 'MATCH', stage: 'PROPOSAL' });
    expect(ok.revision).to.equal(2n);
    await changeStage(b, rep('rep-1'), { opportunityId: 'MATCH', stage: 'NEGOTIATION' }); // revision 3; a keeps 2
    // The kept revision matches the client's, the stream's does not: refused, with the stream's.
    await changeStage(a, { ...rep('rep-1'), expectedRevision: 2n }, { opportunityId: 'MATCH', stage: 'QUALIFICATION' }).then(
      () => expect.fail('revision 2 is stale'),
      (err: { code?: string; details?: Record<string, unknown> }) => {
        expect(err.code).to.equal('CONFLICT');
        expect(err.details).to.include({ expected_revision: '2', current_revision: '3' });
      },
    );
    expect(await current('MATCH')).to.include({ stage: 'NEGOTIATION' });

    // a keeps revision 4 with rep-1 as owner; b gives the deal to rep-3. rep-1's If-Match equals
    // the kept revision: the answer is the policy's on the stream's state, nothing about its revision.
    await changeStage(a, rep('rep-1'), { opportunityId: 'MATCH', stage: 'PROPOSAL' });
    await reassignOpportunity(b, admin, { opportunityId: 'MATCH', ownerId: 'rep-3' });
    await changeStage(a, { ...rep('rep-1'), expectedRevision: 4n }, { opportunityId: 'MATCH', stage: 'QUALIFICATION' }).then(
      () => expect.fail('rep-1 no longer owns it'),
      (err: { code?: string }) => expect(err.code).to.equal('FORBIDDEN'),
    );
  });

  it('a command built for a guess is built again when its fresh attempt loses a race', async () => {
    const a = instance();
    const b = instance();
    await createOpportunity(a, rep('rep-1'), { opportunityId: 'BUILD', customerId: 'C-1', amount: money('100.00'), currency: 'USD' });
    await changeStage(a, rep('rep-1'), { opportunityId: 'BUILD', stage: 'QUALIFICATION' }); // a keeps revision 1
    await changeStage(b, rep('rep-1'), { opportunityId: 'BUILD', stage: 'PROPOSAL' });
    let builds = 0;
    lostAppends = 1;
    // A no-op on the guess, a change on the fresh read, whose append then loses a race.
    const result = await a.execute(
      opportunityAggregate,
      { ...rep('rep-1'), aggregateId: 'BUILD' },
      deferred('ChangeStage', async () => {
        builds++;
        return { type: 'ChangeStage' as const, stages: await a.stageSetFor(tenantId), stage: 'QUALIFICATION' };
      }),
    );
    expect(lostAppends).to.equal(0);
    expect(builds, 'once for the guess (reused by the read right after it), once after the race').to.equal(2);
    expect(result.revision).to.equal(3n);
  });

  it("remembers the stage set, and another instance's change to it is in force for the next command", async () => {
    const a = instance();
    const b = instance();
    const stages = stream('pipelineStage', STAGE_SET_AGGREGATE_ID);
    await createOpportunity(a, rep('rep-1'), { opportunityId: 'STAGED', customerId: 'C-1', amount: money('100.00'), currency: 'USD' });
    const remembered = readsOf(stages);
    await changeStage(a, rep('rep-1'), { opportunityId: 'STAGED', stage: 'QUALIFICATION' });
    expect(readsOf(stages), 'decided on the remembered set').to.equal(remembered);

    // b changes a stage's default probability: a decides on its old set, its append is refused
    // (the set moved), and decided again on a read it takes the new default.
    await updateStage(b, admin, { stage: 'PROPOSAL', probability: 55 });
    const beforeMove = readsOf(stages);
    const moved = await changeStage(a, rep('rep-1'), { opportunityId: 'STAGED', stage: 'PROPOSAL' });
    expect(moved.state).to.include({ stage: 'PROPOSAL', probability: 55 });
    expect(readsOf(stages), 'read once, after the refused append').to.equal(beforeMove + 1);

    // b adds a stage: a's remembered set does not know it, so the refusal is decided again on a read.
    const set = await stageSetOf(store, tenantId);
    await configureStages(b, admin, {
      stages: [...set.stages.map(({ code, name, order, probability, kind }) => ({ code, name, order: order < 4 ? order : order + 1, probability, kind })),
        { code: 'DEMO', name: 'Demo', order: 4, probability: 60, kind: 'open' as const }],
    });
    const demo = await changeStage(a, rep('rep-1'), { opportunityId: 'STAGED', stage: 'DEMO' });
    expect(demo.state).to.include({ stage: 'DEMO', probability: 60 });
    expect(await current('STAGED')).to.include({ stage: 'DEMO', probability: 60 });

    // A change made by the instance itself is what it remembers: no read.
    const before = readsOf(stages);
    await updateStage(a, admin, { stage: 'NEGOTIATION', probability: 80 });
    const own = await changeStage(a, rep('rep-1'), { opportunityId: 'STAGED', stage: 'NEGOTIATION' });
    expect(own.state).to.include({ stage: 'NEGOTIATION', probability: 80 });
    expect(readsOf(stages)).to.equal(before);
  });

  it('keeps nothing of a stream that holds personal data', async () => {
    const a = instance();
    const customer = stream('customerProfile', 'PERSON');
    await createCustomer(a, admin, { customerId: 'PERSON', name: 'Acme', personalData: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' } });
    const before = readsOf(customer);
    await updateCustomer(a, admin, { customerId: 'PERSON', name: 'Acme Ltd' });
    await updateCustomer(a, admin, { customerId: 'PERSON', name: 'Acme Group' });
    expect(readsOf(customer) - before).to.equal(2);
  });
});
