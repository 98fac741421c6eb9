import pg from 'pg';
import knexFactory, { type Knex } from 'knex';
import { migrations, type Migration } from './migrations/index.js';

export type Db = Knex;

// A SQL date is a calendar date, not an instant: keep it as its YYYY-MM-DD text instead of a
// Date at local midnight. (numeric and bigint already arrive as exact strings.)
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);

export function createDb(connectionString: string, poolMax = 10): Db {
  return knexFactory({
    client: 'pg',
    connection: { connectionString, application_name: 'crm-pipeline' },
    pool: { min: 0, max: poolMax },
  });
}

/** Migrations are plain modules listed in migrations/index.ts: no file-system loader to configure. */
const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: () => Promise.resolve([...migrations]),
  getMigrationName: (m) => m.name,
  getMigration: (m) => Promise.resolve(m),
};

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}
