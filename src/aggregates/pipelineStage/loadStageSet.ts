import { fold } from '../decider.js';
import { type StoredEvent, fromRecorded, toDomainEvent } from '../../eventstore/envelope.js';
import type { EventStore } from '../../eventstore/port.js';
import { streamName } from '../../eventstore/streams.js';
import type { PipelineStageEvent } from './events.js';
import { STAGE_SET_AGGREGATE_ID, pipelineStageAggregate } from './index.js';
import type { PipelineStageState } from './decider.js';
import type { StageSet } from './stages.js';

export interface LoadedStageSet {
  readonly state: PipelineStageState;
  /** The stream's revision: the configuration's ETag; -1 while the tenant has the defaults. */
  readonly revision: bigint;
  /** The latest change (its timestamp and actor); undefined while the tenant has the defaults. */
  readonly last: StoredEvent<PipelineStageEvent> | undefined;
}

export const stageStreamOf = (tenantId: string) =>
  streamName({ category: pipelineStageAggregate.category, tenantId, aggregateId: STAGE_SET_AGGREGATE_ID });

/**
 * A tenant's stage configuration, folded from its stream (DEFAULT_STAGE_SET when it has none).
 * The stream is a handful of events, so it is read on each command rather than cached: a
 * configuration change is in force for the very next command, in every process.
 */
export async function loadStageSet(store: EventStore, tenantId: string): Promise<LoadedStageSet> {
  const events = (await store.readStream(stageStreamOf(tenantId))).map((r) => fromRecorded<PipelineStageEvent>(r));
  const last = events.at(-1);
  return { state: fold(pipelineStageAggregate.decider, events.map(toDomainEvent)), revision: last?.revision ?? -1n, last };
}

export async function stageSetFor(store: EventStore, tenantId: string): Promise<StageSet> {
  return (await loadStageSet(store, tenantId)).state.set;
}
