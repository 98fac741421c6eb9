import { expect } from 'chai';
import { type BulkItem, type BulkOutcome, bulkUpdateOpportunities, itemKey } from '../../src/commands/bulkOpportunities.js';
import type { AppContext, Caller } from '../../src/commands/context.js';
import { type ExecuteCommand, createCommandHandler } from '../../src/commands/handler.js';
import { stageSetOf } from '../../src/commands/load.js';
import { createOpportunity } from '../../src/commands/opportunities.js';
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
});
