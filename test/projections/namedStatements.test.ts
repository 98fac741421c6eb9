import { expect } from 'chai';
import { type Db, createDb } from '../../src/db/knex.js';
import { statementNames } from '../../src/db/statementName.js';
import { selectRows, writeRows } from '../../src/projections/rows.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * A row model's statements are named, so each connection prepares them once (rows.ts). A table
 * whose columns change under a prepared `select *` (a migration, a rebuilt table swapped in)
 * must still be read, with its new columns: the statement is prepared again under a new name.
 */
describe('row models: named statements', () => {
  let database: TestDatabase;
  let db: Db;

  before(async () => {
    database = await freshDatabase('named');
    // One connection: whatever is prepared, is prepared where the next statement runs.
    db = createDb(database.url, 1);
    await db.raw('create table named_probe (id text primary key, n int not null)');
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const read = (q: Db | Parameters<Parameters<Db['transaction']>[0]>[0], ids: string[]) =>
    selectRows<Record<string, unknown>>(q, 'named_probe', ['id'], ids.map((id) => ({ id })));

  it('reads the new columns after the table changed, outside and inside a transaction', async () => {
    await db.transaction((trx) => writeRows(trx, 'named_probe', ['id'], [{ id: 'a', n: 1 }, { id: 'b', n: 2 }], 'update'));
    // Past five runs PostgreSQL may switch to its generic plan: it must give the same rows.
    for (let i = 0; i < 8; i++) expect((await read(db, ['a', 'b'])).map((r) => r.n).sort()).to.deep.equal([1, 2]);
    const prepared = await db.raw<{ rows: { n: number }[] }>("select count(*)::int as n from pg_prepared_statements where statement like '%named_probe%'");
    expect(prepared.rows[0]!.n).to.be.greaterThan(0);

    await db.raw('alter table named_probe add column m int not null default 7');
    expect(await read(db, ['a'])).to.deep.equal([{ id: 'a', n: 1, m: 7 }]);

    // In a transaction the failed read aborts it; the batch's retry reads under the new name.
    await db.raw('alter table named_probe add column k text');
    const inTransaction = () => db.transaction((trx) => read(trx, ['b']));
    const failed = await inTransaction().then(
      () => undefined,
      (err: { code?: string }) => err.code,
    );
    expect(failed).to.equal('0A000');
    expect(await inTransaction()).to.deep.equal([{ id: 'b', n: 2, m: 7, k: null }]);
  });

  it('upserts and deletes through named statements give the same rows as before', async () => {
    await db.transaction(async (trx) => {
      await writeRows(trx, 'named_probe', ['id'], [{ id: 'a', n: 10, m: 1, k: 'x' }, { id: 'c', n: 3, m: 1, k: null }], 'update');
      await writeRows(trx, 'named_probe', ['id'], [{ id: 'c', n: 99, m: 0, k: null }], 'ignore');
    });
    const rows = await read(db, ['a', 'b', 'c', 'missing']);
    expect(rows.sort((x, y) => String(x.id).localeCompare(String(y.id)))).to.deep.equal([
      { id: 'a', n: 10, m: 1, k: 'x' },
      { id: 'b', n: 2, m: 7, k: null },
      { id: 'c', n: 3, m: 1, k: null },
    ]);
  });
});

describe('statement names', () => {
  it('one name per text, a new one after a rename; past the bound new texts run unnamed, known ones keep theirs', () => {
    const names = statementNames(3);
    const [a, b, c] = ['select 1', 'select 2', 'select 3'].map((t) => names.nameOf(t));
    expect(new Set([a, b, c]).size).to.equal(3);
    expect(names.nameOf('select 1')).to.equal(a);
    expect(names.nameOf('select 4')).to.equal(undefined);
    names.rename('select 1');
    const renamed = names.nameOf('select 1');
    expect(renamed).to.not.equal(a);
    names.rename('select 1');
    expect(names.nameOf('select 1')).to.not.be.oneOf([a, renamed]);
    expect(names.nameOf('select 2')).to.equal(b);
  });
});
