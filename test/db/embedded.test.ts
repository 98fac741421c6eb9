import { expect } from 'chai';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
