import { expect } from 'chai';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { ES_APPEND_GROUP_SQL, appendGroupParams } from '../../src/eventstore/postgres/appendGroupSql.js';
import { ES_APPEND_SQL, appendParams } from '../../src/eventstore/postgres/appendSql.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { type EventStore, type EventToAppend, WrongExpectedRevisionError, comparePositions } from '../../src/eventstore/port.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * PostgreSQL checks an append's unchanged streams in the append's transaction, holding each one's
 * lock shared: a change to such a stream and an append decided against it are ordered, either way
 * (es_append and es_append_group alike). Transactions are held open by hand to make the race.
 */
describe('PostgreSQL store: an append holds the streams it was decided against', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: EventStore;
  let client: pg.Client;
  let prefix: string;
  const stream = (n: string) => `${prefix}-${n}`;
  const ev = (): EventToAppend => ({ eventId: randomUUID(), eventType: 'E', data: {}, metadata: {} });
  const settledWithin = <T>(p: Promise<T>, ms: number) =>
    Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

  before(async () => {
    database = await freshDatabase('unchanged');
    store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    prefix = `u${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterEach(async () => client.end());

  const decidedAgainstSet = {
    'es_append': (c: pg.Client) => c.query(ES_APPEND_SQL, appendParams(stream('deal'), 'no_stream', [ev()], [{ streamId: stream('set'), revision: 0n }])),
    'es_append_group': (c: pg.Client) =>
      c.query(
        ES_APPEND_GROUP_SQL,
        appendGroupParams([
          { streamId: stream('other'), event: ev(), expected: 'no_stream' },
          { streamId: stream('deal'), event: ev(), expected: 'no_stream', unchanged: [{ streamId: stream('set'), revision: 0n }] },
        ]),
      ),
  };

  for (const [fn, appendDecided] of Object.entries(decidedAgainstSet)) {
    it(`${fn}: a change to the stream waits for the append decided against it, and follows it in the log`, async () => {
      await store.append(stream('set'), [ev()], 'no_stream');
      await client.query('begin');
      await appendDecided(client);
      const change = store.append(stream('set'), [ev()], 0n);
      expect(await settledWithin(change, 500), 'the change waits for the commit').to.equal('pending');
      await client.query('commit');
      const changed = await change;
      const [deal] = await store.readStream(stream('deal'));
      expect(comparePositions(deal!.position, changed.position)).to.equal(-1);
    });

    it(`${fn}: an append decided against a stream whose change is under way waits for it, and is refused`, async () => {
      await store.append(stream('set'), [ev()], 'no_stream');
      await client.query('begin');
      await client.query(ES_APPEND_SQL, appendParams(stream('set'), 0n, [ev()]));
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        await other.query('begin');
        const decided = appendDecided(other);
        expect(await settledWithin(decided, 500), 'the append waits for the change').to.equal('pending');
        await client.query('commit');
        if (fn === 'es_append') {
          const refused = await decided.then(() => undefined, (err: { code?: string; hint?: string }) => err);
          expect(refused).to.include({ code: 'CR412', hint: stream('set') });
        } else {
          const { rows } = await decided;
          expect(rows.map((r: { refused: string | null; changed: string | null }) => [r.refused, r.changed])).to.deep.equal([
            [null, null],
            ['unchanged', stream('set')],
          ]);
        }
        await other.query('rollback');
      } finally {
        await other.end();
      }
      expect(await store.readStream(stream('deal'))).to.deep.equal([]);
    });
  }

  it('the store answers a refusal with the stream that moved', async () => {
    await store.append(stream('set'), [ev(), ev()], 'no_stream');
    const refused = await store.append(stream('deal'), [ev()], 'no_stream', { unchanged: [{ streamId: stream('set'), revision: 0n }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).to.be.instanceOf(WrongExpectedRevisionError);
    expect(refused).to.include({ streamId: stream('set'), expected: 0n, actual: 1n });
  });
});
