import type { Knex } from 'knex';
import type { DomainEvent } from '../aggregates/decider.js';
import { uuidV5 } from '../shared/uuid.js';
import type { Aggregate, CommandEnvelope, ExecuteCommand } from '../commands/handler.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { EventStore, Position } from '../eventstore/port.js';
import type { StageSet } from '../aggregates/pipelineStage/stages.js';

/**
 * A workflow (process manager, DESIGN §12): a checkpointed subscriber of the log that turns
 * each stored event of its types into commands, issued through the one command handler as
 * `system:workflow:<name>`. It never writes anything itself; its commands are its only effects.
 *
 * Effects land outside the checkpoint's transaction (at least once), so a workflow must make
 * every command idempotent by itself: an aggregate it creates gets an id derived from the
 * triggering event (`derivedId`), and a create that finds its stream already there is done.
 */
export interface Workflow {
  /** Its checkpoint's and lease's name (`workflow:` is prefixed), and its actor's. */
  readonly name: string;
  /**
   * A new version goes on from where the old one stood: it changes how later events are
   * handled, never the past. Resetting the checkpoint to 0 runs history again, harmlessly.
   */
  readonly version: number;
  readonly eventTypes: readonly string[];
  /**
   * On the very first start: 'skip' begins at the log's head (a workflow deployed on an
   * existing log does not act on old history, e.g. follow-ups for leads qualified last year),
   * 'process' works through the whole log like a projection.
   */
  readonly history: 'skip' | 'process';
  /**
   * The commands one event calls for (none: nothing to do). Reads only; the same event may come
   * again, and it may be reacted to before the commands of the few events before it are issued
   * (subscriber.ts runs reactions ahead), so it must not rely on the workflow's own latest effects.
   */
  react(event: StoredEvent, reads: WorkflowReads): Promise<readonly WorkflowCommand[]>;
}

/** What a workflow may read to decide: the log and the read models (never write). */
export interface WorkflowReads {
  readonly store: EventStore;
  readonly db: Knex;
  readonly stageSetFor: (tenantId: string) => Promise<StageSet>;
  /**
   * Waits until a projection has handled everything up to `position` (the trigger's): a
   * workflow that reads a read model sees the trigger's effect there. False when it did not
   * in time; the workflow then fails the batch, which is retried.
   */
  readonly projectionReached: (projection: string, position: Position) => Promise<boolean>;
  /**
   * A read shared by the events of one batch: `load` runs once per key and batch, given the
   * batch's last position (wait for a read model up to there, and it holds what every event of
   * the batch needs). Per event, it was a statement per event at any load (issue 14).
   */
  batchRead<T>(key: string, load: (last: Position) => Promise<T>): Promise<T>;
}

/** One command on one aggregate, its types erased so that a workflow can return several kinds. */
export interface WorkflowCommand {
  readonly category: string;
  readonly aggregateId: string;
  readonly type: string;
  /** Creates the aggregate: a CONFLICT from it means it exists already, i.e. done. */
  readonly creates: boolean;
  /**
   * Of a batch's commands of this type on this aggregate, only the last is issued, at the end of
   * the batch: each carries all the earlier ones would have (a snapshot of figures read once per
   * batch). Its event is the last one that called for it. Issued after the batch's other
   * commands, so a workflow gives an aggregate latest-only commands of one type or none.
   */
  readonly latestOnly: boolean;
  run(execute: ExecuteCommand, envelope: CommandEnvelope): Promise<unknown>;
}

export function command<C extends { type: string }, E extends DomainEvent, S>(
  aggregate: Aggregate<C, E, S>,
  aggregateId: string,
  cmd: C,
  options: { creates?: boolean; latestOnly?: boolean } = {},
): WorkflowCommand {
  return {
    category: aggregate.category,
    aggregateId,
    type: cmd.type,
    creates: options.creates ?? false,
    latestOnly: options.latestOnly ?? false,
    run: (execute, envelope) => execute(aggregate, envelope, cmd),
  };
}

/** The actor every command of the workflow is recorded with. */
export const workflowActor = (name: string) => `system:workflow:${name}`;

/** The subscription (checkpoint, lease, dead letters) of a workflow. */
export const subscriptionName = (name: string) => `workflow:${name}`;

const WORKFLOW_NAMESPACE = '8e6b1f0c-4a57-4d2e-9c3b-61f0d2a7e4b8';

/**
 * A uuid (v5) derived from the workflow, the triggering event and a key within it (the
 * template item, say): a replay or a retry of the same event lands on the same aggregate.
 */
export function derivedId(workflow: string, event: Pick<StoredEvent, 'eventId'>, key = ''): string {
  return uuidV5(`${workflow}:${event.eventId}:${key}`, WORKFLOW_NAMESPACE);
}
