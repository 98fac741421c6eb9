import type { Knex } from 'knex';
import type { DomainEvent } from '../aggregates/decider.js';
import { fold } from '../aggregates/decider.js';
import { STAGE_SET_AGGREGATE_ID, type StageSet, pipelineStageAggregate } from '../aggregates/pipelineStage/index.js';
import type { Aggregate } from '../commands/handler.js';
import { type StoredEvent, fromRecorded, toDomainEvent } from '../eventstore/envelope.js';
import type { AllFilter, EventStore, Position } from '../eventstore/port.js';
import { START } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { type Row, reduceRows, upsertRows } from '../projections/rows.js';
import { freshRows } from '../projections/freshRows.js';
import { type Projection, applyEvents } from '../projections/projection.js';

/**
 * Compliance replays: what was true at a past moment, recomputed from the log alone.
 *
 * A moment is a timestamp (events decided at or before it) or a stream revision. Read-model
 * answers "as of" are produced by the read model's own projection, replayed into temporary
 * tables that shadow the live ones inside a transaction that is always rolled back: the past
 * answer has exactly the shape and rules of today's answer, and nothing is written.
 */
export type Moment = { readonly at: Date } | { readonly revision: bigint };

export const isAtOrBefore = (e: StoredEvent, moment: Moment): boolean =>
  'at' in moment ? Date.parse(e.timestamp) <= moment.at.getTime() : e.revision <= moment.revision;

/** The stream's events up to the moment. */
export async function streamAsOf(store: EventStore, streamId: string, moment: Moment): Promise<StoredEvent[]> {
  return (await store.readStream(streamId)).map((r) => fromRecorded(r)).filter((e) => isAtOrBefore(e, moment));
}

/** An aggregate's decider state at the moment, with the revision it had then. */
export async function aggregateStateAsOf<C, E extends DomainEvent, S>(
  store: EventStore,
  aggregate: Aggregate<C, E, S>,
  streamId: string,
  moment: Moment,
): Promise<{ state: S; revision: bigint; events: StoredEvent[] }> {
  const events = (await streamAsOf(store, streamId, moment)) as StoredEvent<E>[];
  return { state: fold(aggregate.decider, events.map(toDomainEvent)), revision: events.at(-1)?.revision ?? -1n, events };
}

/**
 * A tenant's stage set as it stood at an instant (the defaults before it was ever configured).
 * An as_of answer that lists stages or their probabilities uses this, never today's set: the
 * past answer must be the one served then.
 */
export async function stageSetAsOf(store: EventStore, tenantId: string, at: Date): Promise<StageSet> {
  const streamId = streamName({ category: pipelineStageAggregate.category, tenantId, aggregateId: STAGE_SET_AGGREGATE_ID });
  return (await aggregateStateAsOf(store, pipelineStageAggregate, streamId, { at })).state.set;
}

/**
 * Runs `query` against the projection's tables as they would have been at the moment, for the
 * events that `source` selects: temporary tables named like the live ones (PostgreSQL looks in
 * pg_temp first), filled with the projection's own rules, dropped by the rollback.
 *
 * The log is read before the transaction opens: creating temporary tables gives it a
 * transaction id, which holds back every event-store reader's horizon while it lives. A row
 * projection is folded in memory (one row per aggregate) and inserted in bulk; others keep
 * the selected events in memory and apply them.
 */
const PAST_MOMENT_MARGIN_MS = 5 * 60_000;

export async function readModelAsOf<T>(
  deps: { db: Knex; store: EventStore },
  projection: Projection,
  source: { streamId: string } | { filter: AllFilter },
  moment: Moment,
  query: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  const rowModel = projection.rows;
  const rows = new Map<string, Row>();
  const events: StoredEvent[] = [];
  const take = (page: StoredEvent[]) => {
    const wanted = page.filter((e) => projection.eventTypes.includes(e.eventType) && isAtOrBefore(e, moment));
    if (rowModel) reduceRows(rowModel, rows, wanted);
    else events.push(...wanted);
  };
  if ('streamId' in source) {
    take(await streamAsOf(deps.store, source.streamId, moment));
  } else {
    let after: Position = START;
    const filter = { ...source.filter, eventTypes: source.filter.eventTypes ?? projection.eventTypes };
    // The log is in commit order and an event's time is its decision, at most a request's
    // timeouts before its commit: well past the moment, nothing earlier can follow.
    const enough = 'at' in moment ? moment.at.getTime() + PAST_MOMENT_MARGIN_MS : Number.POSITIVE_INFINITY;
    for (;;) {
      const read = await deps.store.readPage({ after, filter, maxCount: 1000 });
      const page = read.events.map((r) => fromRecorded(r));
      take(page);
      after = read.next;
      if (read.end || (page.length > 0 && Date.parse(page.at(-1)!.timestamp) > enough)) break;
    }
  }

  const trx = await deps.db.transaction();
  try {
    for (const table of projection.tables) {
      await trx.raw('create temporary table ?? (like public.?? including all) on commit drop', [table, table]);
    }
    if (rowModel) await upsertRows(trx, rowModel, [...rows.values()]);
    else await applyEvents(trx, projection, events, freshRows()); // tables made empty just now
    return await query(trx);
  } finally {
    await trx.rollback();
  }
}
