import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { subscriptionSuite } from './suite.js';

subscriptionSuite('PostgreSQL event store', async (database) => createPostgresEventStore({ connection: database.url, pollMs: 50 }));
