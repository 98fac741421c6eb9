import type { Knex } from 'knex';
import { type EventStore, type Position, comparePositions } from '../eventstore/port.js';
import type { Logger } from '../shared/logger.js';
import type { StoredCheckpoint } from '../subscriptions/checkpoints.js';
import type { Leases } from '../subscriptions/leases.js';
import { type RunningSubscription, type SubscriptionStatus, startSubscription } from '../subscriptions/subscription.js';
import { type CheckpointWatch, watchCheckpoints } from '../subscriptions/watch.js';
import { type Projection, projectionSubscriber } from './projection.js';
import { type RebuildProgress, rebuildProjection } from './rebuild.js';

/**
 * Runs every projection as a subscription (src/subscriptions): on whichever instance holds its
 * lease. Every instance answers read-your-writes for every projection, from its own progress
 * or, for those another instance runs, from the stored checkpoints.
 */
export interface ProjectionRunner {
  start(): void;
  stop(): Promise<void>;
  /**
   * Waits until `projection` has processed everything up to `position`: 'reached', 'timeout',
   * or 'beyond-head' when the log itself has not reached it (no command answered with it).
   */
  waitFor(projection: string, position: Position, timeoutMs: number): Promise<'reached' | 'timeout' | 'beyond-head'>;
  /** In-memory progress, for health output. */
  status(): ProjectionStatus[];
  /** The subscriptions themselves, for metrics. */
  subscriptions(): readonly RunningSubscription[];
}

export interface ProjectionStatus extends SubscriptionStatus {
  rebuilding?: RebuildProgress;
}

export function createProjectionRunner(deps: {
  store: EventStore;
  db: Knex;
  projections: readonly Projection[];
  log: Logger;
  leases?: Leases;
  batchSize?: number;
}): ProjectionRunner {
  const rebuilding = new Map<string, RebuildProgress>();
  const running = new Map<string, RunningSubscription>();
  let watch: CheckpointWatch | undefined;

  /** A new version rebuilds beside the serving tables, which keep answering, then swaps in. */
  async function resume(p: Projection, stored: StoredCheckpoint, signal: AbortSignal): Promise<Position> {
    if (stored.version > p.version) {
      // A newer instance has already swapped its version in (a rolling deploy): do not fight it.
      throw new Error(`projection ${p.name} is at version ${stored.version} in the database, newer than this code's ${p.version}; not projecting`);
    }
    if (stored.version === p.version) return stored.position;
    deps.log.info('projection version changed: rebuilding from position 0 beside the serving tables', {
      projection: p.name,
      from_version: stored.version,
      to_version: p.version,
    });
    try {
      const done = await rebuildProjection({ db: deps.db, store: deps.store }, p, { signal, onProgress: (r) => rebuilding.set(p.name, r) });
      deps.log.info('projection rebuilt and swapped in', { projection: p.name, events: done.done, ms: done.elapsedMs });
      return done.position;
    } finally {
      rebuilding.delete(p.name);
    }
  }

  return {
    start() {
      for (const p of deps.projections) {
        if (running.has(p.name)) continue;
        const sub = startSubscription(projectionSubscriber(deps.db, p), {
          store: deps.store,
          db: deps.db,
          log: deps.log,
          ...(deps.leases ? { leases: deps.leases } : {}),
          ...(deps.batchSize ? { batchSize: deps.batchSize } : {}),
          resume: (stored, signal) => resume(p, stored, signal),
        });
        running.set(p.name, sub);
      }
      watch ??= watchCheckpoints(deps.db, [...running.values()]);
    },
    async stop() {
      await watch?.stop();
      await Promise.allSettled([...running.values()].map((s) => s.stop()));
    },
    async waitFor(name, position, timeoutMs) {
      const sub = running.get(name);
      if (!sub) throw new Error(`unknown projection ${name}`);
      if (comparePositions(sub.status().checkpoint, position) >= 0) return 'reached';
      // A command answers with a position it committed, so the log's head is at or past it; a
      // position past the head came from nowhere, and waiting for it would only time out.
      if (comparePositions(position, await deps.store.headPosition()) > 0) return 'beyond-head';
      const outcome = sub.waitFor(position, timeoutMs);
      if (!sub.status().running) watch?.nudge();
      return outcome;
    },
    subscriptions: () => [...running.values()],
    status() {
      return [...running.values()].map((s) => {
        const r = rebuilding.get(s.name);
        return { ...s.status(), ...(r ? { rebuilding: r } : {}) };
      });
    },
  };
}
