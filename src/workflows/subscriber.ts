import type { Knex } from 'knex';
import { systemAccess } from '../access/access.js';
import type { ExecuteCommand } from '../commands/handler.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { type EventStore, formatPosition } from '../eventstore/port.js';
import { aheadInOrder } from '../shared/ahead.js';
import { orderedByKey } from '../shared/orderedByKey.js';
import { DomainError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Subscriber } from '../subscriptions/consume.js';
import { recordDeadLetter } from '../subscriptions/deadLetters.js';
import { type Workflow, type WorkflowCommand, type WorkflowReads, subscriptionName, workflowActor } from './workflow.js';

export interface WorkflowDeps extends Omit<WorkflowReads, 'store' | 'db' | 'batchRead'> {
  readonly store: EventStore;
  readonly db: Knex;
  readonly execute: ExecuteCommand;
  readonly log: Logger;
  /** Told of each command set aside (the runner counts them in the workflow's status). */
  readonly onRefused?: () => void;
}

/**
 * Reactions running at once in a batch: their stream reads share statements, and their
 * read-model queries (at most four per workflow, one at a time before) stay a bounded share
 * of the pool that requests use too.
 */
const REACT_AHEAD = 4;
/** Commands in flight at once in a batch (on different aggregates). */
const ISSUE_AHEAD = 8;

/**
 * The workflow as a subscriber of the log: for each event in order, its commands, then the
 * checkpoint (after the effects: at least once; the commands are idempotent by themselves).
 * An aggregate's commands are issued in the events' order; different aggregates' at once.
 *
 * - A command the domain refuses (a DomainError) will be refused again: it is logged and set
 *   aside in subscription_dead_letters with its event, and the batch goes on.
 * - A create refused as CONFLICT finds its aggregate already there: an earlier run did it.
 * - Anything else (the database gone, a bug) fails the batch, which the subscription retries
 *   from its checkpoint; a handler fault that persists is set aside by the generic policy.
 */
export function workflowSubscriber(wf: Workflow, deps: WorkflowDeps): Subscriber {
  const name = subscriptionName(wf.name);
  const actor = workflowActor(wf.name);
  /** The reads of one batch: its batchRead loads are shared by its events. */
  const readsFor = (events: readonly StoredEvent[]): WorkflowReads => {
    const last = events.at(-1)!.position;
    const loaded = new Map<string, Promise<unknown>>();
    return {
      store: deps.store,
      db: deps.db,
      stageSetFor: deps.stageSetFor,
      projectionReached: deps.projectionReached,
      batchRead<T>(key: string, load: (at: typeof last) => Promise<T>): Promise<T> {
        if (!loaded.has(key)) loaded.set(key, load(last));
        return loaded.get(key) as Promise<T>;
      },
    };
  };

  async function issue(event: StoredEvent, c: WorkflowCommand): Promise<void> {
    try {
      await c.run(deps.execute, {
        access: systemAccess(event.tenantId, actor),
        aggregateId: c.aggregateId,
        correlationId: event.metadata.correlationId || event.eventId,
        causationId: event.eventId,
      });
    } catch (err) {
      if (!(err instanceof DomainError) || err.code === 'SERVICE_UNAVAILABLE') throw err;
      if (c.creates && err.code === 'CONFLICT') return;
      const reason = `${c.type} on ${c.category} ${c.aggregateId} refused: ${err.code}: ${err.message}`;
      await recordDeadLetter(deps.db, name, event, reason, 1);
      deps.onRefused?.();
      deps.log.error('workflow command refused; set aside, the workflow goes on', {
        subscription: name,
        event_id: event.eventId,
        stream_id: event.streamId,
        position: formatPosition(event.position),
        error: reason,
      });
    }
  }

  return {
    name,
    version: wf.version,
    eventTypes: wf.eventTypes,
    deadLetters: true,
    async handle(events, commit) {
      const reads = readsFor(events);
      // Reactions only read, so a few run ahead: their stream reads go to the database together
      // (streamReads.ts). One by one, a workflow read a stream per event and fell behind the log
      // under load (issue 14). Commands are still issued in the events' order.
      // Commands on different aggregates go at once (their appends then share commits); an
      // aggregate's commands go in the events' order. Each command is idempotent by itself, so a
      // batch that fails part way is retried whatever order its commands were done in.
      const issuing = orderedByKey(ISSUE_AHEAD);
      // An aggregate is named by its tenant too: a batch holds every tenant's events, and ids
      // (a forecast's, say) are the tenant's own choice.
      const aggregateOf = (event: StoredEvent, c: WorkflowCommand) => `${event.tenantId}\u0000${c.category}\u0000${c.aggregateId}`;
      let sent = 0;
      const send = (event: StoredEvent, c: WorkflowCommand) => {
        sent++;
        return issuing.add(aggregateOf(event, c), () => issue(event, c));
      };
      const latest = new Map<string, { event: StoredEvent; c: WorkflowCommand }>();
      let i = 0;
      try {
        for await (const commands of aheadInOrder(events, (event) => wf.react(event, reads), REACT_AHEAD)) {
          const event = events[i++]!;
          for (const c of commands) {
            if (!c.latestOnly) await send(event, c);
            else latest.set(`${aggregateOf(event, c)}\u0000${c.type}`, { event, c });
          }
        }
        for (const { event, c } of latest.values()) await send(event, c);
      } finally {
        await issuing.done();
      }
      // Most events ask nothing of a workflow: its checkpoint then moves as an idle one's.
      if (sent === 0) return 'unchanged';
      await commit(deps.db);
    },
  };
}
