import type { Knex } from 'knex';
import type { ExecuteCommand } from '../commands/handler.js';
import { type EventStore, type Position, START } from '../eventstore/port.js';
import type { Logger } from '../shared/logger.js';
import { type StoredCheckpoint, TABLE, loadCheckpoint } from '../subscriptions/checkpoints.js';
import type { Leases } from '../subscriptions/leases.js';
import { type RunningSubscription, type SubscriptionStatus, startSubscription } from '../subscriptions/subscription.js';
import { workflowSubscriber } from './subscriber.js';
import { type Workflow, type WorkflowReads, subscriptionName } from './workflow.js';

/**
 * Runs every workflow as a subscription (src/subscriptions), as the projections are run: on
 * whichever instance holds its lease, restarted from its checkpoint after failures, stopped
 * (and handed over) on shutdown. Never inside an HTTP request.
 */
export interface WorkflowRunner {
  /** Places the first checkpoint of new workflows (a workflow that skips history: the head now), then starts them all. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SubscriptionStatus[];
  /** The subscriptions themselves, for metrics. */
  subscriptions(): readonly RunningSubscription[];
}

export interface WorkflowRunnerDeps extends Omit<WorkflowReads, 'store' | 'db' | 'batchRead'> {
  readonly store: EventStore;
  readonly db: Knex;
  readonly execute: ExecuteCommand;
  readonly log: Logger;
  readonly workflows: readonly Workflow[];
  readonly leases?: Leases;
  readonly batchSize?: number;
}

export function createWorkflowRunner(deps: WorkflowRunnerDeps): WorkflowRunner {
  const running = new Map<string, RunningSubscription>();
  /** Commands set aside by this instance, per workflow: part of its deadLettered figure. */
  const refused = new Map<string, number>();

  /** A new version goes on from the old one's position; an older code never runs a newer one's. */
  async function resume(wf: Workflow, stored: StoredCheckpoint): Promise<Position> {
    if (stored.version > wf.version) {
      throw new Error(`workflow ${wf.name} is at version ${stored.version} in the database, newer than this code's ${wf.version}; not running it`);
    }
    if (stored.version < wf.version) {
      await deps.db(TABLE).where({ name: subscriptionName(wf.name), version: stored.version }).update({ version: wf.version });
      deps.log.info('workflow version changed: going on from its checkpoint', { workflow: wf.name, from_version: stored.version, to_version: wf.version });
    }
    return stored.position;
  }

  return {
    async start() {
      for (const wf of deps.workflows) {
        if (running.has(wf.name)) continue;
        // Placed now, not when its loop first reads it: "skip history" means the log as of start().
        const firstPosition = async () => (wf.history === 'skip' ? deps.store.headPosition() : START);
        await loadCheckpoint(deps.db, subscriptionName(wf.name), wf.version, firstPosition);
        const onRefused = () => refused.set(wf.name, (refused.get(wf.name) ?? 0) + 1);
        const sub = startSubscription(workflowSubscriber(wf, { ...deps, onRefused }), {
          store: deps.store,
          db: deps.db,
          log: deps.log,
          ...(deps.leases ? { leases: deps.leases } : {}),
          ...(deps.batchSize ? { batchSize: deps.batchSize } : {}),
          resume: (stored) => resume(wf, stored),
          firstPosition,
        });
        running.set(wf.name, sub);
      }
    },
    async stop() {
      await Promise.allSettled([...running.values()].map((s) => s.stop()));
    },
    status: () =>
      [...running.entries()].map(([name, s]) => {
        const status = s.status();
        return { ...status, deadLettered: status.deadLettered + (refused.get(name) ?? 0) };
      }),
    subscriptions: () => [...running.values()],
  };
}
