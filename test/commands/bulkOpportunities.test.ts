import { expect } from 'chai';
import { type BulkItem, type BulkOutcome, bulkUpdateOpportunities, itemKey } from '../../src/commands/bulkOpportunities.js';
import type { AppContext, Caller } from '../../src/commands/context.js';
import { type ExecuteCommand, createCommandHandler } from '../../src/commands/handler.js';
import { stageSetOf } from '../../src/commands/load.js';
import { createOpportunity } from '../../src/commands/opportunities.js';
import { configureStages, updateStage } from '../../src/commands/stages.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { streamName } from '../../src/eventstore/streams.js';
import { personalDataLayer } from '../../src/privacy/layer.js';
import type { Amount } from '../../src/shared/money.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * A bulk request that dies part way (its answer lost after some items committed) is taken over
 * by its retry: the items that ran are not applied again, even those that changed nothing then.
 */
describe('bulk opportunity updates: taking over an interrupted request', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: EventStore;
  let app: AppContext;
  const caller: Caller = {
    access: { tenantId: 'tenant-bulk-takeover', actorId: 'rep-1', roles: ['sales_rep'], managedUsers: [] },
    correlationId: 'c-1',
    idempotencyKey: 'bulk-key',
  };
  const money = (s: string) => s as Amount;
  // Every item of one deal: a no-op, a change, a stale If-Match, a change (the crash), a change.
  const items = (id: string): BulkItem[] => [
    { op: 'update', opportunityId: id, amount: money('100.00') },
    { op: 'update', opportunityId: id, amount: money('200.00') },
    { op: 'update', opportunityId: id, amount: money('100.00'), expectedRevision: 0n },
    { op: 'update', opportunityId: id, amount: money('250.00') },
    { op: 'update', opportunityId: id, amount: money('300.00') },
  ];
  const summary = (outcomes: BulkOutcome[]) => outcomes.map((o) => (o.ok ? `rev ${o.result.revision} ${o.result.state.exists ? o.result.state.amount : '-'}` : o.error.code));
  const streamLength = async (id: string) =>
    (await store.readStream(streamName({ category: 'opportunity', tenantId: caller.access.tenantId, aggregateId: id }))).length;

  before(async () => {
    database = await freshDatabase('bulk');
    store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
    app = { ...personalDataLayer(store, database.db, undefined), db: database.db, execute: createCommandHandler({ store }), stageSetFor: (t) => stageSetOf(store, t) };
    for (const id of ['CLEAN', 'CRASHED', 'SPAN', 'SPAN-CLEAN', 'FILLER']) {
      await createOpportunity(app, { ...caller, idempotencyKey: `create-${id}` }, { opportunityId: id, customerId: 'C', amount: money('100.00'), currency: 'USD' });
    }
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  it('recovers the items that ran, decides the no-ops again where they ran, and runs only the rest', async () => {
    const clean = await bulkUpdateOpportunities(app, { ...caller, idempotencyKey: 'clean-key' }, items('CLEAN'));
    expect(summary(clean)).to.deep.equal(['rev 0 100.00', 'rev 1 200.00', 'CONFLICT', 'rev 2 250.00', 'rev 3 300.00']);

    // The fourth command commits, then its connection is lost: the request fails.
    let calls = 0;
    const crashing: ExecuteCommand = async (aggregate, env, command) => {
      const call = ++calls;
      const result = await app.execute(aggregate, env, command);
      if (call === 4) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
      return result;
    };
    await bulkUpdateOpportunities({ ...app, execute: crashing }, caller, items('CRASHED')).then(
      () => expect.fail('the request should have failed'),
      (err: Error) => expect(err.message).to.match(/terminated/),
    );
    expect(await streamLength('CRASHED')).to.equal(3); // created, 200.00, 250.00

    const retried = await bulkUpdateOpportunities(app, caller, items('CRASHED'), { takeover: true });
    expect(summary(retried)).to.deep.equal(summary(clean));
    expect(await streamLength('CRASHED')).to.equal(await streamLength('CLEAN'));
    // Taken over again (say the answer was lost once more): nothing new.
    expect(summary(await bulkUpdateOpportunities(app, caller, items('CRASHED'), { takeover: true }))).to.deep.equal(summary(clean));
    expect(await streamLength('CRASHED')).to.equal(4);
  });

  it('follows a deal across batches: a no-op in the first batch is not redone after the second batch ran', async () => {
    const request = (id: string): BulkItem[] => [
      { op: 'update', opportunityId: id, amount: money('100.00') }, // no-op, batch 1
      ...Array.from({ length: 99 }, (_, i): BulkItem => ({ op: 'update', opportunityId: 'FILLER', amount: money(`${i + 1}.00`) })),
      { op: 'update', opportunityId: id, amount: money('200.00') }, // batch 2: commits, then the answer is lost
      { op: 'update', opportunityId: id, amount: money('300.00') },
    ];
    const clean = await bulkUpdateOpportunities(app, { ...caller, idempotencyKey: 'span-clean' }, request('SPAN-CLEAN'));
    const crashing: ExecuteCommand = async (aggregate, env, command) => {
      const result = await app.execute(aggregate, env, command);
      if (env.idempotencyKey === itemKey('span', 100)) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
      return result;
    };
    const spanCaller = { ...caller, idempotencyKey: 'span' };
    await bulkUpdateOpportunities({ ...app, execute: crashing }, spanCaller, request('SPAN')).then(
      () => expect.fail('the request should have failed'),
      (err: Error) => expect(err.message).to.match(/terminated/),
    );
    const retried = await bulkUpdateOpportunities(app, spanCaller, request('SPAN'), { takeover: true });
    const onDeal = (outcomes: BulkOutcome[]) => summary([outcomes[0]!, outcomes[100]!, outcomes[101]!]);
    expect(onDeal(retried)).to.deep.equal(['rev 0 100.00', 'rev 1 200.00', 'rev 2 300.00']);
    expect(onDeal(retried)).to.deep.equal(onDeal(clean));
    expect(await streamLength('SPAN')).to.equal(3); // created, 200.00, 300.00: the no-op was not redone
  });

  it("decides a no-op again on the deal as it was, against today's stage set (its revisions are not the deal's)", async () => {
    const tenantId = 'tenant-bulk-stages';
    const rep: Caller = { ...caller, access: { ...caller.access, tenantId } };
    const admin: Caller = { access: { tenantId, actorId: 'admin-1', roles: ['admin'], managedUsers: [] }, correlationId: 'c-2' };
    const base = (await stageSetOf(store, tenantId)).stages.map(({ code, name, order, probability, kind }) => ({ code, name, order, probability, kind }));
    await configureStages(app, admin, { stages: base });
    await updateStage(app, admin, { stage: 'PROPOSAL', probability: 41 });
    // Revision 2 of the stage set adds DEMO; the deal's second item is decided again at the deal's revision 1.
    await configureStages(app, admin, { stages: [...base.map((st) => ({ ...st, order: st.order < 4 ? st.order : st.order + 1 })), { code: 'DEMO', name: 'Demo', order: 4, probability: 60, kind: 'open' as const }] });
    await createOpportunity(app, { ...rep, idempotencyKey: 'create-STAGED' }, { opportunityId: 'STAGED', customerId: 'C', amount: money('100.00'), currency: 'USD' });
    const request: BulkItem[] = [
      { op: 'change_stage', opportunityId: 'STAGED', stage: 'DEMO' },
      { op: 'change_stage', opportunityId: 'STAGED', stage: 'DEMO' }, // a no-op
      { op: 'update', opportunityId: 'STAGED', amount: money('200.00') },
    ];
    const first = await bulkUpdateOpportunities(app, { ...rep, idempotencyKey: 'staged' }, request);
    const again = await bulkUpdateOpportunities(app, { ...rep, idempotencyKey: 'staged' }, request, { takeover: true });
    expect(summary(first)).to.deep.equal(['rev 1 100.00', 'rev 1 100.00', 'rev 2 200.00']);
    expect(summary(again)).to.deep.equal(summary(first));
  });
});
