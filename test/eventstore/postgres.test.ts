import pg from 'pg';
import { ES_APPEND_SQL, appendParams } from '../../src/eventstore/postgres/appendSql.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { freshDatabase } from '../support/postgres.js';
import { eventStoreConformance } from './conformance.js';

eventStoreConformance('PostgreSQL', async () => {
  const database = await freshDatabase('es');
  // Named, so that dropConnections cuts exactly the store's connections.
  const url = new URL(database.url);
  url.searchParams.set('application_name', 'conformance-store');
  const store = createPostgresEventStore({ connection: url.toString(), pollMs: 50 });
  return {
    store,
    realSlowCommit: true,
    refusesReusedIds: true,
    async dropConnections() {
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        const { rows } = await admin.query(
          "select pg_terminate_backend(pid) as cut from pg_stat_activity where application_name = 'conformance-store'",
        );
        if (rows.length === 0) throw new Error('no store connection to cut');
      } finally {
        await admin.end();
      }
    },
    async appendWithSlowCommit(streamId, events, delayMs) {
      // The same es_append the store calls, but the transaction is held open before COMMIT.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query('begin');
        await client.query(ES_APPEND_SQL, appendParams(streamId, 'any', events));
        await new Promise((r) => setTimeout(r, delayMs));
        await client.query('commit');
      } finally {
        await client.end();
      }
    },
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
});
