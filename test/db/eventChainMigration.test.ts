import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { verifyChains } from '../../src/compliance/verify.js';
import { migrations } from '../../src/db/migrations/index.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * Migration 1600 chains a log written before the chain: every stream from genesis as it stands,
 * and appends after it chain on. Downgraded first, the events are written by 0001's es_append.
 */
describe('migration 1600_event_chain', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const migration = migrations.find((m) => m.name === '1600_event_chain')!;

  before(async () => {
    database = await freshDatabase('mig1600');
  });
  after(async () => {
    await database?.drop();
  });

  it('chains the existing log, then appends chain on; the old es_append is gone', async () => {
    const db = database.db;
    await migration.down(db);
    const oldAppend = (stream: string, n: number) =>
      db.raw('select * from es_append(?, ?, ?::uuid[], ?::text[], ?::jsonb[], ?::jsonb[])', [
        stream,
        'any',
        Array.from({ length: n }, () => randomUUID()),
        Array.from({ length: n }, () => 'Old'),
        Array.from({ length: n }, (_, i) => JSON.stringify({ i, amount: '1.10' })),
        Array.from({ length: n }, () => JSON.stringify({ userId: 'before' })),
      ]);
    // More than a page (1,000) in one stream, so the backfill carries a chain across pages.
    await oldAppend('opportunity-t1:A', 1200);
    await oldAppend('opportunity-t1:B', 3);
    await oldAppend('lead-t2:C', 2);
    await db.transaction((trx) => migration.up(trx)); // as knex runs it

    const store = createPostgresEventStore({ connection: database.url });
    try {
      const before = await verifyChains(store, { kind: 'all' });
      expect(before).to.include({ streams: 3, events: 1205 });
      expect(before.broken).to.deep.equal([]);
      await store.append('opportunity-t1:B', [{ eventId: randomUUID(), eventType: 'New', data: {}, metadata: {} }], 2n);
      expect((await verifyChains(store, { kind: 'stream', streamId: 'opportunity-t1:B' })).broken).to.deep.equal([]);
      const { rows } = (await db.raw("select pronargs from pg_proc where proname = 'es_append' order by pronargs")) as { rows: { pronargs: number }[] };
      // The chained one, and 1950's overload of it (the streams an append was decided against); 0001's six-argument one is gone.
      expect(rows.map((r) => r.pronargs)).to.deep.equal([7, 9]);
      expect((await db.raw('select count(*)::int as n from es_events where hash is null')).rows[0].n).to.equal(0);
    } finally {
      await store.close();
    }
  });
});
