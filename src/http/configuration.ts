import type { DomainEvent } from '../aggregates/decider.js';
import type { Aggregate } from '../commands/handler.js';
import { loadAggregate } from '../commands/load.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import { etagOf } from './commandReply.js';
import type { Reply } from './endpoint.js';
import { historyEntry } from './history.js';

/**
 * The audit trail of a tenant's configuration stream (stage set, segment definitions), read from
 * the stream itself: every change with its actor, and (by `extra`) the configuration in force
 * from it on. ETag = revision; -1: never configured.
 */
interface Target<C, E extends DomainEvent, S> {
  readonly store: EventStore;
  readonly tenantId: string;
  readonly aggregate: Aggregate<C, E, S>;
  readonly aggregateId: string;
}

/** Every change with its actor, and what `extra` adds from the configuration in force from it on. */
export async function configurationHistory<C, E extends DomainEvent, S>(
  t: Target<C, E, S>,
  extra: (e: StoredEvent<E>, state: S) => Record<string, unknown>,
): Promise<Reply> {
  const { events, revision } = await loadAggregate(t.store, t.aggregate, t.tenantId, t.aggregateId);
  let state = t.aggregate.decider.initialState;
  const data = events.map((e) => {
    state = t.aggregate.decider.evolve(state, { type: e.eventType, data: e.payload } as E);
    return historyEntry(e, extra(e, state));
  });
  return { headers: { ETag: etagOf(revision) }, body: { data } };
}
