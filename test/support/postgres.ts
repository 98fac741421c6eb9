import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePorts } from '../../scripts/kafka/broker.js';
import { DATABASE_LOCALE, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded.js';
import { createDb, migrateLatest, type Db } from '../../src/db/knex.js';

/**
 * One real PostgreSQL server for the whole test run (embedded, or TEST_DATABASE_URL's server),
 * and a fresh database per suite that asks for one.
 */
let server: EmbeddedPostgresHandle | undefined;
let adminUrl: string | undefined;
let scratchDir: string | undefined;

/** A free loopback port (the same helper the Kafka test broker uses). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * The cluster under .data/test-pg is reused across runs (initdb costs seconds); a second run
 * at the same time gets a throwaway cluster in a temp directory instead. Ports are free ones.
 */
export async function startTestPostgres(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
    return;
  }
  const port = process.env.TEST_PG_PORT ? Number(process.env.TEST_PG_PORT) : await freePort();
  try {
    server = await startEmbeddedPostgres({ dataDir: process.env.TEST_PG_DIR ?? '.data/test-pg', port });
  } catch (err) {
    if (!(err instanceof Error && /in use/.test(err.message))) throw err;
    scratchDir = await mkdtemp(path.join(tmpdir(), 'crm-test-pg-'));
    await chmod(scratchDir, 0o755); // PostgreSQL runs as its own OS user
    server = await startEmbeddedPostgres({ dataDir: path.join(scratchDir, 'pg'), port: await freePort() });
  }
  adminUrl = server.connectionString;
}

export async function stopTestPostgres(): Promise<void> {
  await server?.stop();
  server = undefined;
  if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
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
  // As the service's own (embedded.ts), also on a .data/test-pg an older version initialised; an
  // external TEST_DATABASE_URL may predate the builtin provider (PostgreSQL 17).
  await admin.query(`create database ${name}${server ? ` ${DATABASE_LOCALE}` : ''}`);
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
