import { type DomainEvent, fold } from '../aggregates/decider.js';
import { type StoredEvent, fromRecorded, toDomainEvent } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import type { Aggregate, CommandResult } from './handler.js';

/**
 * The outcome of an earlier execution by `actorId` that carried `idempotencyKey`, rebuilt from
 * the stream (its events carry the key and the actor: keys belong to their caller); undefined
 * when that execution appended nothing.
 */
export async function recoverResult<C, E extends DomainEvent, S>(
  store: EventStore,
  aggregate: Aggregate<C, E, S>,
  streamId: string,
  aggregateId: string,
  idempotencyKey: string,
  actorId: string,
): Promise<CommandResult<S> | undefined> {
  const history = (await store.readStream(streamId)).map((r) => fromRecorded<E>(r));
  return recoverFrom(history, aggregate, { streamId, aggregateId }, idempotencyKey, actorId);
}

/** recoverResult on a history already read (one read serves many keys). */
export function recoverFrom<C, E extends DomainEvent, S>(
  history: readonly StoredEvent<E>[],
  aggregate: Aggregate<C, E, S>,
  at: { readonly streamId: string; readonly aggregateId: string },
  idempotencyKey: string,
  actorId: string,
): CommandResult<S> | undefined {
  const mine = (e: StoredEvent<E>) => e.metadata.idempotencyKey === idempotencyKey && e.metadata.userId === actorId;
  const lastIndex = history.findLastIndex(mine);
  if (lastIndex < 0) return undefined;
  const upTo = history.slice(0, lastIndex + 1);
  const last = upTo[lastIndex]!;
  return {
    ...at,
    events: upTo.filter(mine),
    revision: last.revision,
    position: last.position,
    state: fold(aggregate.decider, upTo.map(toDomainEvent)),
  };
}
