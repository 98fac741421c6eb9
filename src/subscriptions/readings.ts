import type { LagCounter } from './lag.js';
import { type EventStore, comparePositions } from '../eventstore/port.js';
import type { SubscriptionReading } from '../observability/metrics.js';
import type { RunningSubscription } from './subscription.js';

/**
 * Where each subscription stands, for the subscription_* gauges: events and seconds behind the
 * head (the age of the oldest event it has not handled), its checkpoint and whether this
 * instance runs it. An instance that does not run it reads the stored checkpoint (watch.ts).
 */
export async function readSubscriptions(
  store: EventStore,
  lagCounter: LagCounter,
  subscriptions: readonly RunningSubscription[],
): Promise<SubscriptionReading[]> {
  const head = await store.headPosition();
  return Promise.all(
    subscriptions.map(async (s) => {
      const status = s.status();
      const behind = comparePositions(head, status.checkpoint) > 0;
      const [lag, oldest] = behind
        ? await Promise.all([
            lagCounter(status.checkpoint, s.eventTypes),
            store.readAll({ after: status.checkpoint, maxCount: 1, filter: { eventTypes: s.eventTypes } }),
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
