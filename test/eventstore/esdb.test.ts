import { createEventStoreDbStore } from '../../src/eventstore/esdb/store.js';
import { eventStoreConformance } from './conformance.js';

/**
 * EventStoreDB cannot be installed on our machines: this run happens only where
 * EVENTSTORE_URL points at a server (docker-compose.yml has one).
 */
const url = process.env.EVENTSTORE_URL;
if (url) {
  eventStoreConformance('EventStoreDB', async () => {
    const store = createEventStoreDbStore(url);
    return {
      store,
      realSlowCommit: false,
      refusesReusedIds: false,
      // EventStoreDB clients hold no transactions open; a late append is the nearest thing.
      async appendWithSlowCommit(streamId, events, delayMs) {
        await new Promise((r) => setTimeout(r, delayMs));
        await store.append(streamId, events, 'any');
      },
      cleanup: () => store.close(),
    };
  });
} else {
  describe('EventStore conformance: EventStoreDB', () => {
    it('runs where EVENTSTORE_URL is set (not set here)');
  });
}
