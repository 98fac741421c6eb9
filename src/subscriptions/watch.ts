import type { Knex } from 'knex';
import { nap } from './nap.js';
import { readCheckpoints } from './checkpoints.js';
import type { RunningSubscription } from './subscription.js';

/**
 * Keeps this instance's view of the subscriptions another instance runs: their stored
 * checkpoints, read every second, and every few milliseconds while a query waits on one
 * (read-your-writes on whichever instance serves it). One statement for all of them. The holder
 * stores its checkpoint with every batch and, when idle, every second (consume.ts).
 */
export interface CheckpointWatch {
  /** Look now: a query has just started waiting. */
  nudge(): void;
  stop(): Promise<void>;
}

const IDLE_MS = 1_000;
const WAITING_MS = 15;

export function watchCheckpoints(db: Knex, subscriptions: readonly RunningSubscription[]): CheckpointWatch {
  let stopped = false;
  const pauses = nap();

  async function look(): Promise<boolean> {
    const others = subscriptions.filter((s) => !s.status().running);
    if (others.length === 0) return false;
    const stored = await readCheckpoints(db, others.map((s) => s.name));
    for (const s of others) {
      const position = stored.get(s.name);
      if (position) s.observe(position);
    }
    return others.some((s) => s.waitingFor() !== undefined);
  }

  const loop = (async () => {
    while (!stopped) {
      let waiting = false;
      try {
        waiting = await look();
      } catch {
        // The database is away; queries that wait will time out and say so.
      }
      await pauses.pause(waiting ? WAITING_MS : IDLE_MS);
    }
  })();

  return {
    nudge: () => pauses.wake(),
    async stop() {
      stopped = true;
      pauses.wake();
      await loop;
    },
  };
}
