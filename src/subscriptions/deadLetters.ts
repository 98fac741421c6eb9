import type { Knex } from 'knex';
import type { EventStore, Position } from '../eventstore/port.js';
import { formatPosition } from '../eventstore/port.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { type Fence, moveCheckpoint } from './checkpoints.js';
import type { Subscriber } from './consume.js';

/**
 * One bad event must not stop a projection for every tenant (as Marten's dead-letter queue):
 * a batch that keeps failing is retried one event at a time, and the one event that still
 * fails after ATTEMPTS tries is set aside in subscription_dead_letters, with the checkpoint
 * moved past it in the same transaction. An unreachable database is never a bad event.
 */
export const ATTEMPTS = 3;

export interface FailureTracker {
  /** A failure at the stored checkpoint `at`: how to go on. */
  failed(err: unknown, at: Position): 'retry' | 'one-by-one' | 'dead-letter';
  /** Progress was made: forget the streak. */
  reset(): void;
}

export function failureTracker(): FailureTracker {
  let at: string | undefined;
  let count = 0;
  return {
    failed(err, position) {
      if (isDatabaseUnavailable(err)) return 'retry';
      const here = formatPosition(position);
      count = here === at ? count + 1 : 1;
      at = here;
      if (count < ATTEMPTS) return 'retry';
      return count < 2 * ATTEMPTS ? 'one-by-one' : 'dead-letter';
    },
    reset() {
      at = undefined;
      count = 0;
    },
  };
}

/** Sets the first event after `after` aside and moves the checkpoint past it; returns it. */
export async function deadLetterNext(
  deps: { store: EventStore; db: Knex },
  sub: Subscriber,
  after: Position,
  error: string,
  fence?: Fence,
): Promise<{ eventId: string; streamId: string; position: Position } | undefined> {
  const [event] = await deps.store.readAll({ after, maxCount: 1, filter: { eventTypes: sub.eventTypes } });
  if (!event) return undefined;
  await deps.db.transaction(async (trx) => {
    await trx('subscription_dead_letters')
      .insert({
        subscription: sub.name,
        event_id: event.eventId,
        stream_id: event.streamId,
        event_type: event.eventType,
        position: formatPosition(event.position),
        error,
        attempts: 2 * ATTEMPTS,
      })
      .onConflict(['subscription', 'event_id'])
      .merge();
    await moveCheckpoint(trx, { name: sub.name, version: sub.version, from: after, to: event.position, ...(fence ? { fence } : {}) });
  });
  return { eventId: event.eventId, streamId: event.streamId, position: event.position };
}
