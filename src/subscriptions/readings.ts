import type { LagCounter } from './lag.js';
import type { Knex } from 'knex';
import { type EventStore, type Position, comparePositions } from '../eventstore/port.js';
import { readCheckpoints } from './checkpoints.js';
import type { SubscriptionReading } from '../observability/metrics.js';
import type { RunningSubscription } from './subscription.js';

/**
 * Where each subscription stands, for the subscription_* gauges: events and seconds behind the
 * head (the age of the oldest event it has not handled), its checkpoint and whether this
 * instance runs it. For those another instance runs, the stored checkpoint.
 */
export async function readSubscriptions(
  deps: { store: EventStore; db: Knex; lagCounter: LagCounter },
  subscriptions: readonly RunningSubscription[],
): Promise<SubscriptionReading[]> {
  const { store, lagCounter } = deps;
  const head = await store.headPosition();
  const others = subscriptions.filter((s) => !s.status().running).map((s) => s.name);
  const stored = others.length > 0 ? await readCheckpoints(deps.db, others) : new Map<string, Position>();
  return Promise.all(
    subscriptions.map(async (s) => {
      const own = s.status();
      const status = { ...own, checkpoint: own.running ? own.checkpoint : (stored.get(s.name) ?? own.checkpoint) };
      const behind = comparePositions(head, status.checkpoint) > 0;
      const [lag, oldest] = behind
        ? await Promise.all([
            lagCounter(status.checkpoint, s.eventTypes),
            store.readPage({ after: status.checkpoint, maxCount: 1, filter: { eventTypes: s.eventTypes } }).then((p) => p.events),
          ])
        : [{ count: 0 }, []];
      const first = oldest[0];
      return {
        subscription: s.name,
        lagEvents: lag.count,
        lagSeconds: first ? Math.max(0, (Date.now() - first.created.getTime()) / 1000) : 0,
        checkpoint: Number(status.checkpoint.commit),
        leader: status.running,
      };
    }),
  );
}
