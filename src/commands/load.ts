import type { Access } from '../access/access.js';
import { type Action, type Guard, type RelatedRecord, authorizeRead, inScope, ownerScope, reachOf, requireReach } from '../access/policy.js';
import type { RelatedType } from '../aggregates/activity/related.js';
import { customerProfileAggregate } from '../aggregates/customerProfile/index.js';
import { type DomainEvent, fold } from '../aggregates/decider.js';
import { leadAggregate } from '../aggregates/lead/index.js';
import { opportunityAggregate } from '../aggregates/opportunity/index.js';
import { STAGE_SET_AGGREGATE_ID, type StageSet, pipelineStageAggregate } from '../aggregates/pipelineStage/index.js';
import { type StoredEvent, fromRecorded, toDomainEvent } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { notFound } from '../shared/errors.js';
import type { Aggregate, DecisionReads } from './handler.js';

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
  // The whole stream, cut here: a whole-stream read goes with the other reads of the moment (streamReads.ts).
  const read = await store.readStream(streamId);
  const events = (upTo === undefined ? read : read.filter((r) => r.revision <= upTo)).map((r) => fromRecorded<E>(r));
  return { streamId, events, state: fold(aggregate.decider, events.map(toDomainEvent)), revision: events.at(-1)?.revision ?? -1n };
}

/**
 * A tenant's stage set, folded from its stream (the defaults while it has none): a handful of
 * events, read on each call, for queries and for commands that do not go through the handler's reads.
 */
export async function stageSetOf(store: EventStore, tenantId: string): Promise<StageSet> {
  return (await loadAggregate(store, pipelineStageAggregate, tenantId, STAGE_SET_AGGREGATE_ID)).state.set;
}

/**
 * The stage set an opportunity command is decided against: remembered by the handler between
 * commands, and its stream checked unchanged when the command's events are appended (handler.ts,
 * DecisionReads). A change is thus in force for the very next command, in every process.
 */
export async function stageSetIn(reads: DecisionReads): Promise<StageSet> {
  return (await reads.state(pipelineStageAggregate, STAGE_SET_AGGREGATE_ID)).set;
}

/** The aggregates work can be about (seed 003's RelatedEntity), to ask the policy about their owner. */
const RELATED_AGGREGATES: Readonly<Record<RelatedType, Aggregate<never, DomainEvent, unknown>>> = {
  lead: leadAggregate as unknown as Aggregate<never, DomainEvent, unknown>,
  opportunity: opportunityAggregate as unknown as Aggregate<never, DomainEvent, unknown>,
  customer: customerProfileAggregate as unknown as Aggregate<never, DomainEvent, unknown>,
};

/**
 * The record a piece of work (activity, task) is about, for the policy's "as for the related
 * record": its owner as its stream holds it now. Read only when the work's own owner does not
 * already admit the actor; undefined when there is none (or it does not exist).
 */
export async function relatedRecordOf<C, S>(store: EventStore, access: Access, guard: Guard<C, S>, state: S, action: Action): Promise<RelatedRecord | undefined> {
  const related = guard.relatedOf?.(state);
  if (!related || access.system || !reachOf(access, guard.resource, action)) return undefined;
  if (inScope(ownerScope(access, guard.resource, action), guard.ownerOf?.(state))) return undefined;
  const aggregate = RELATED_AGGREGATES[related.type];
  const loaded = await loadAggregate(store, aggregate, access.tenantId, related.id);
  if (loaded.events.length === 0) return undefined;
  return { type: related.type, owner: aggregate.guard.ownerOf?.(loaded.state) };
}

/**
 * The aggregate, if the caller may read it: NOT_FOUND when its stream is empty, FORBIDDEN when
 * it belongs to someone outside the caller's reach (the policy decides, on today's owner and,
 * for work, on the record it is about).
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
  const related = await relatedRecordOf(store, access, aggregate.guard, loaded.state, 'read');
  authorizeRead(access, aggregate.guard.resource, aggregate.guard.ownerOf?.(loaded.state), related);
  return loaded;
}
