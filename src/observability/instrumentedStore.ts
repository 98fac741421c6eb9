import { type EventStore, WrongExpectedRevisionError } from '../eventstore/port.js';
import type { Metrics } from './metrics.js';
import { withSpan } from './tracing.js';

/**
 * The event store port with appends timed, counted and traced: a decorator, so both adapters
 * (PostgreSQL, EventStoreDB) are measured the same way without knowing of it.
 */
export function instrumentEventStore(store: EventStore, metrics: Metrics): EventStore {
  return {
    append(streamId, events, expected, options) {
      return withSpan('eventstore append', { 'crm.stream_id': streamId, 'crm.event_count': events.length }, async () => {
        const end = metrics.eventstoreAppendDuration.startTimer();
        try {
          const result = await store.append(streamId, events, expected, options);
          end({ outcome: 'ok' });
          return result;
        } catch (err) {
          const conflict = err instanceof WrongExpectedRevisionError;
          end({ outcome: conflict ? 'conflict' : 'error' });
          if (conflict) metrics.eventstoreAppendConflicts.inc();
          throw err;
        }
      });
    },
    readStream: (streamId, options) => store.readStream(streamId, options),
    readAll: (options) => store.readAll(options),
    readPage: (options) => store.readPage(options),
    headPosition: () => store.headPosition(),
    ...(store.countEvents ? { countEvents: store.countEvents.bind(store) } : {}),
    subscribeToAll: (options) => store.subscribeToAll(options),
    close: () => store.close(),
  };
}
