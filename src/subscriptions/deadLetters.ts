import type { Knex } from 'knex';
import type { EventStore, Position } from '../eventstore/port.js';
import { formatPosition } from '../eventstore/port.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { errorText } from '../shared/incident.js';
import type { Logger } from '../shared/logger.js';
import { type Fence, loadCheckpoint, moveCheckpoint } from './checkpoints.js';
import { HandlerFailure, type Subscriber } from './consume.js';

/**
 * One bad event must not stop a projection for every tenant (as Marten's dead-letter queue):
 * a batch whose handler keeps failing is retried one event at a time, and the one event that
 * still fails is set aside in subscription_dead_letters, with the checkpoint moved past it in the
 * same transaction. Only the handler's own failures count: never an unreachable database, a
 * store or checkpoint error, or a failed rebuild.
 */
const RETRIES = 3;

export type NextStep = 'retry' | 'one-by-one' | 'set-aside';

export interface DeadLetterPolicy {
  /** After a failure: how to go on (set-aside: done, go on at once). */
  failed(err: unknown, fence: Fence | undefined): Promise<NextStep>;
  /** A batch went through: the streak is over. */
  succeeded(): void;
  /** Events this instance set aside. */
  readonly count: number;
}

export function deadLetterPolicy(deps: { store: EventStore; db: Knex; log: Logger }, sub: Subscriber): DeadLetterPolicy {
  let at: string | undefined;
  let streak = 0;
  let count = 0;
  return {
    get count() {
      return count;
    },
    succeeded() {
      at = undefined;
      streak = 0;
    },
    async failed(err, fence) {
      if (!sub.deadLetters || !(err instanceof HandlerFailure) || isDatabaseUnavailable(err)) return 'retry';
      const { position } = await loadCheckpoint(deps.db, sub.name, sub.version);
      const here = formatPosition(position);
      streak = here === at ? streak + 1 : 1;
      at = here;
      if (streak < RETRIES) return 'retry';
      if (streak < 2 * RETRIES) return 'one-by-one';
      const parked = await setAside(deps, sub, position, errorText(err), fence);
      at = undefined;
      streak = 0;
      if (!parked) return 'retry';
      count++;
      deps.log.error('event set aside after repeated failures; the subscription goes on without it', {
        subscription: sub.name,
        event_id: parked.eventId,
        stream_id: parked.streamId,
        position: formatPosition(parked.position),
        error: errorText(err),
      });
      return 'set-aside';
    },
  };
}

/** Sets the first event after `after` aside and moves the checkpoint past it. */
async function setAside(
  deps: { store: EventStore; db: Knex },
  sub: Subscriber,
  after: Position,
  error: string,
  fence: Fence | undefined,
): Promise<{ eventId: string; streamId: string; position: Position } | undefined> {
  const [event] = await deps.store.readAll({ after, maxCount: 1, filter: { eventTypes: sub.eventTypes } });
  if (!event) return undefined;
  await deps.db.transaction(async (trx) => {
    await recordDeadLetter(trx, sub.name, event, error, 2 * RETRIES);
    await moveCheckpoint(trx, { name: sub.name, version: sub.version, from: after, to: event.position, ...(fence ? { fence } : {}) });
  });
  return { eventId: event.eventId, streamId: event.streamId, position: event.position };
}

/**
 * Writes one set-aside event down (subscription_dead_letters). Also for subscribers that judge
 * an event hopeless at once, such as a workflow whose command the domain refuses.
 */
export async function recordDeadLetter(
  q: Knex | Knex.Transaction,
  subscription: string,
  event: { readonly eventId: string; readonly streamId: string; readonly eventType: string; readonly position: Position },
  error: string,
  attempts: number,
): Promise<void> {
  await q('subscription_dead_letters')
    .insert({
      subscription,
      event_id: event.eventId,
      stream_id: event.streamId,
      event_type: event.eventType,
      position: formatPosition(event.position),
      error,
      attempts,
    })
    .onConflict(['subscription', 'event_id'])
    .merge();
}
