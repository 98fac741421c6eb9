import type { Access } from '../access/access.js';
import { requireOwnerInScope, requireReach } from '../access/policy.js';
import { type DomainEvent, fold } from '../aggregates/decider.js';
import { STAGE_SET_AGGREGATE_ID, type StageSet, pipelineStageAggregate } from '../aggregates/pipelineStage/index.js';
import { type StoredEvent, fromRecorded, toDomainEvent } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { notFound } from '../shared/errors.js';
import type { Aggregate } from './handler.js';

/** An aggregate as its stream holds it now: the events, their fold, the last revision (-1: none). */
export interface Loaded<E extends DomainEvent, S> {
  readonly streamId: string;
  readonly events: readonly StoredEvent<E>[];
  readonly state: S;
  readonly revision: bigint;
}

/**
 * The one load-and-fold: read the aggregate's stream and fold it with its decider; with
 * `upToRevision`, as it stood at that revision (a workflow reads a record as of its trigger).
 */
export async function loadAggregate<C, E extends DomainEvent, S>(
  store: EventStore,
  aggregate: Aggregate<C, E, S>,
  tenantId: string,
  aggregateId: string,
  options: { upToRevision?: bigint } = {},
): Promise<Loaded<E, S>> {
  const streamId = streamName({ category: aggregate.category, tenantId, aggregateId });
  const upTo = options.upToRevision;
  const read = await store.readStream(streamId, upTo === undefined ? {} : { maxCount: Number(upTo) + 1 });
  const events = read.map((r) => fromRecorded<E>(r));
  return { streamId, events, state: fold(aggregate.decider, events.map(toDomainEvent)), revision: events.at(-1)?.revision ?? -1n };
}

/**
 * A tenant's stage set, folded from its stream (the defaults while it has none). A handful of
 * events, read on each command rather than cached: a change is in force for the very next
 * command, in every process.
 */
export async function stageSetOf(store: EventStore, tenantId: string): Promise<StageSet> {
  return (await loadAggregate(store, pipelineStageAggregate, tenantId, STAGE_SET_AGGREGATE_ID)).state.set;
}

/**
 * The aggregate, if the caller may read it: NOT_FOUND when its stream is empty, FORBIDDEN when
 * it belongs to someone outside the caller's reach (the policy decides, on today's owner).
 */
export async function loadReadable<C, E extends DomainEvent, S>(
  store: EventStore,
  access: Access,
  aggregate: Aggregate<C, E, S>,
  aggregateId: string,
  label: string,
): Promise<Loaded<E, S>> {
  requireReach(access, aggregate.guard.resource, 'read');
  const loaded = await loadAggregate(store, aggregate, access.tenantId, aggregateId);
  if (loaded.events.length === 0) throw notFound(`${label} ${aggregateId} not found`, { id: aggregateId });
  const owner = aggregate.guard.ownerOf?.(loaded.state);
  if (owner !== undefined) requireOwnerInScope(access, aggregate.guard.resource, 'read', owner);
  return loaded;
}
