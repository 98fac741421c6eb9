import { createEventStoreDbStore } from '../../src/eventstore/esdb/store.js';
import { subscriptionSuite } from './suite.js';

/** Where EVENTSTORE_URL points at a server (see test/eventstore/esdb.test.ts). */
const url = process.env.EVENTSTORE_URL;
if (url) {
  subscriptionSuite('EventStoreDB', async () => createEventStoreDbStore(url));
} else {
  describe('subscriptions (EventStoreDB)', () => {
    it('runs where EVENTSTORE_URL is set (not set here)');
  });
}
