import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded.js';
import { createDb, migrateLatest, type Db } from '../../src/db/knex.js';

/**
 * One real PostgreSQL server for the whole test run (embedded, or TEST_DATABASE_URL's server),
 * and a fresh database per suite that asks for one.
 */
let server: EmbeddedPostgresHandle | undefined;
let adminUrl: string | undefined;

export async function startTestPostgres(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
    return;
  }
  server = await startEmbeddedPostgres({
    dataDir: process.env.TEST_PG_DIR ?? '.data/test-pg',
    port: Number(process.env.TEST_PG_PORT ?? 54339),
  });
  adminUrl = server.connectionString;
}

export async function stopTestPostgres(): Promise<void> {
  await server?.stop();
  server = undefined;
}

function urlFor(database: string): string {
  if (!adminUrl) throw new Error('test PostgreSQL is not started (root hook missing?)');
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  readonly url: string;
  readonly db: Db;
  drop(): Promise<void>;
}

/** A new, migrated database; drop() removes it. */
export async function freshDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = urlFor(name);
  const db = createDb(url);
  await migrateLatest(db);
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      const c = new pg.Client({ connectionString: urlFor('postgres') });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
