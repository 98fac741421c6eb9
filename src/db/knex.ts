import knexFactory, { type Knex } from 'knex';
import { migrations, type Migration } from './migrations/index.js';

export type Db = Knex;

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
