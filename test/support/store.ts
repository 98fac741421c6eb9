import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { personalDataLayer } from '../../src/privacy/layer.js';
import type { TestDatabase } from './postgres.js';

/** The event store as the service sees it (personal data opened), on a test database. */
export function serviceStore(database: Pick<TestDatabase, 'url' | 'db'>, options: { pollMs?: number; masterKey?: string } = {}): EventStore {
  return personalDataLayer(createPostgresEventStore({ connection: database.url, pollMs: options.pollMs ?? 50 }), database.db, { current: options.masterKey }).store;
}
