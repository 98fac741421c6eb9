import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { type Db, createDb, migrateLatest } from '../src/db/knex.js';

/**
 * A fresh, migrated database on the benchmarks' embedded PostgreSQL; drop() removes it all.
 * `statements`: the server loads pg_stat_statements (a few per cent slower; opt in).
 */
export async function benchDatabase(prefix: string, opts: { statements?: boolean } = {}): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  const server = await startEmbeddedPostgres({
    dataDir: '.data/bench-pg',
    port: Number(process.env.BENCH_PG_PORT ?? 54349),
    ...(opts.statements ? { settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on' } } : {}),
  });
  const name = `${prefix}_${Date.now()}`;
  await server.ensureDatabase(name);
  const url = server.connectionStringFor(name);
  const db = createDb(url);
  await migrateLatest(db);
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      const admin = new pg.Client({ connectionString: server.connectionString });
      await admin.connect();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
      await server.stop();
    },
  };
}
