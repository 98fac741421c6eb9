import pg from 'pg';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from '../shared/logger.js';
import { migrations, type Migration } from './migrations/index.js';
import { DEFAULT_TIMEOUTS, type DatabaseTimeouts, pgOptions } from './pgOptions.js';

export type Db = Knex;

// A SQL date is a calendar date, not an instant: keep it as its YYYY-MM-DD text instead of a
// Date at local midnight. (numeric and bigint already arrive as exact strings.)
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);

export interface DbOptions {
  readonly timeouts?: DatabaseTimeouts;
  /** Where knex's own warnings go (JSON lines); its per-attempt connection errors are debug. */
  readonly log?: Logger;
}

export function createDb(connectionString: string, poolMax = 10, options: DbOptions = {}): Db {
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const log = options.log;
  const quiet = /Acquire connection error|Connection Error/;
  return knexFactory({
    client: 'pg',
    connection: pgOptions(connectionString, timeouts) as Knex.PgConnectionConfig,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: timeouts.connectMs,
    ...(log
      ? {
          log: {
            warn: (m: string) => (quiet.test(m) ? log.debug('knex', { message: m.split('\n')[0] }) : log.warn('knex', { message: m })),
            error: (m: string) => log.error('knex', { message: m }),
            deprecate: (m: string) => log.warn('knex deprecation', { message: m }),
            debug: (m: string) => log.debug('knex', { message: m }),
          },
        }
      : {}),
  });
}

/** Migrations are plain modules listed in migrations/index.ts: no file-system loader to configure. */
const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: () => Promise.resolve([...migrations]),
  getMigrationName: (m) => m.name,
  getMigration: (m) => Promise.resolve(m),
};

/** Any stable number: the session advisory lock that serialises migrations across instances. */
const MIGRATION_LOCK = 0x63726d01;

/**
 * Brings the schema up to date. Instances starting at the same moment on an empty database take
 * turns (a session advisory lock on a connection of its own): knex's own lock table does not
 * exist yet for the first of them, so they would race to create it.
 */
export async function migrateLatest(db: Db): Promise<string[]> {
  // Connections of their own, without statement timeouts: a migration, or waiting for another
  // instance's, may take as long as it takes.
  const config = { ...(db.client.config.connection as pg.ClientConfig), query_timeout: undefined, options: '-c statement_timeout=0' };
  const lock = new pg.Client(config);
  lock.on('error', () => undefined);
  await lock.connect();
  const migrator = knexFactory({ client: 'pg', connection: config as Knex.PgConnectionConfig, pool: { min: 0, max: 2 } });
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const [, applied] = (await migrator.migrate.latest({ migrationSource })) as [number, string[]];
    return applied;
  } finally {
    await migrator.destroy();
    await lock.end().catch(() => undefined); // ending the session releases the lock
  }
}
