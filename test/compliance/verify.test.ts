import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { STREAM_CATEGORIES } from '../../src/aggregates/categories.js';
import { tenantHeadDigest } from '../../src/compliance/headDigest.js';
import { verifyChains } from '../../src/compliance/verify.js';
import { GENESIS, eventHash } from '../../src/eventstore/chain.js';
import type { EventStore, EventToAppend } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { streamName } from '../../src/eventstore/streams.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/** Verify and the head digest against a real log, tampered with by SQL as an intruder would. */
describe('compliance: verify the hash chains, head digest', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: EventStore;
  const tenant = { tenantId: 'tenant-v', categories: STREAM_CATEGORIES };
  const opp = (id: string, tenantId = 'tenant-v') => streamName({ category: 'opportunity', tenantId, aggregateId: id });
  const ev = (i: number): EventToAppend => ({ eventId: randomUUID(), eventType: 'OpportunityUpdated', data: { i, amount: `${i}.50` }, metadata: { userId: 'u-1' } });

  beforeEach(async () => {
    database = await freshDatabase('verify');
    store = createPostgresEventStore({ connection: database.url });
    for (const id of ['A', 'B', 'C']) {
      await store.append(opp(id), [ev(0), ev(1)], 'no_stream');
      await store.append(opp(id), [ev(2)], 1n);
      await store.append(opp(id), [ev(3), ev(4)], 2n);
    }
    await store.append(opp('X', 'tenant-other'), [ev(0)], 'no_stream');
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const tamper = (sql: string, stream: string, revision: number) => database.db.raw(sql, [stream, revision]);

  it('an untouched log verifies clean, whole, by tenant and by stream', async () => {
    const all = await verifyChains(store, { kind: 'all' });
    expect(all).to.include({ streams: 4, events: 16 });
    expect(all.broken).to.deep.equal([]);
    const byTenant = await verifyChains(store, { kind: 'tenant', ...tenant });
    expect(byTenant).to.include({ streams: 3, events: 15 });
    const one = await verifyChains(store, { kind: 'stream', streamId: opp('B') });
    expect(one).to.include({ streams: 1, events: 5 });
    expect(one.broken).to.deep.equal([]);
  });

  it('one event whose data was changed is named: exactly that stream and revision', async () => {
    await tamper(`update es_events set data = jsonb_set(data, '{amount}', '"9999.00"') where stream_id = ? and revision = ?`, opp('B'), 2);
    const { broken } = await verifyChains(store, { kind: 'tenant', ...tenant });
    expect(broken).to.have.length(1);
    expect(broken[0]).to.include({ streamId: opp('B'), revision: 2n, reason: 'hash does not match the event as stored' });
    expect(broken[0]!.foundHash).to.match(/^[0-9a-f]{64}$/);
    expect(broken[0]!.expectedHash).to.not.equal(broken[0]!.foundHash);
  });

  it('changed metadata, event type or hash are named too', async () => {
    await tamper(`update es_events set metadata = metadata || '{"userId":"someone-else"}' where stream_id = ? and revision = ?`, opp('A'), 4);
    await tamper(`update es_events set event_type = 'Other' where stream_id = ? and revision = ?`, opp('B'), 0);
    await tamper(`update es_events set hash = sha256(hash) where stream_id = ? and revision = ?`, opp('C'), 3);
    const { broken } = await verifyChains(store, { kind: 'all' });
    expect(broken.map((b) => [b.streamId, b.revision])).to.have.deep.members([
      [opp('A'), 4n],
      [opp('B'), 0n],
      [opp('C'), 3n],
    ]);
  });

  it('a deleted row is named at its revision', async () => {
    await tamper('delete from es_events where stream_id = ? and revision = ?', opp('C'), 1);
    const { broken } = await verifyChains(store, { kind: 'stream', streamId: opp('C') });
    expect(broken).to.have.length(1);
    expect(broken[0]).to.include({ streamId: opp('C'), revision: 1n });
    expect(broken[0]!.reason).to.match(/revision 1 is missing/);
  });

  it('an exported head digest detects a rewrite, even one with every later hash recomputed', async () => {
    const exported = await tenantHeadDigest(store, tenant, new Date());
    expect(exported).to.include({ streams: 3, events: 15 });
    expect(exported.report.broken).to.deep.equal([]);
    // Appends after the export do not move the digest as of then (the cut is in milliseconds).
    while (Date.now() <= exported.asOf.getTime()) await new Promise((r) => setImmediate(r));
    await store.append(opp('A'), [ev(5)], 4n);
    expect((await tenantHeadDigest(store, tenant, exported.asOf)).digest).to.equal(exported.digest);

    // A careful intruder: rewrites an event and recomputes the stored hashes after it.
    await tamper(`update es_events set data = jsonb_set(data, '{amount}', '"1.00"') where stream_id = ? and revision = ?`, opp('A'), 1);
    const rows = await store.readStream(opp('A'));
    let prev = GENESIS;
    for (const r of rows) {
      prev = eventHash(prev, r);
      await database.db.raw(`update es_events set hash = decode(?, 'hex') where stream_id = ? and revision = ?`, [prev, opp('A'), r.revision.toString()]);
    }
    expect((await verifyChains(store, { kind: 'tenant', ...tenant })).broken, 'the chains alone cannot tell').to.deep.equal([]);
    expect((await tenantHeadDigest(store, tenant, exported.asOf)).digest).to.not.equal(exported.digest);
  });
});
