import type { Knex } from 'knex';
import { sleep } from '../shared/backoff.js';
import { readCheckpoints } from './checkpoints.js';
import type { RunningSubscription } from './subscription.js';

/**
 * Keeps this instance's view of the subscriptions another instance runs: their stored
 * checkpoints, read every second, and every few milliseconds while a query waits on one
 * (read-your-writes on whichever instance serves it). One statement for all of them.
 */
export interface CheckpointWatch {
  /** Look now: a query has just started waiting. */
  nudge(): void;
  stop(): Promise<void>;
}

const IDLE_MS = 1_000;
const WAITING_MS = 15;

export function watchCheckpoints(db: Knex, subscriptions: readonly RunningSubscription[]): CheckpointWatch {
  const stopper = new AbortController();
  let wake: AbortController = new AbortController();

  async function look(): Promise<boolean> {
    const others = subscriptions.filter((s) => !s.status().running);
    if (others.length === 0) return false;
    const stored = await readCheckpoints(db, others.map((s) => s.name));
    for (const s of others) {
      const position = stored.get(s.name);
      if (position) s.observe(position);
    }
    return others.some((s) => s.hasWaiters());
  }

  const loop = (async () => {
    while (!stopper.signal.aborted) {
      let waiting = false;
      try {
        waiting = await look();
      } catch {
        // The database is away; queries that wait will time out and say so.
      }
      await sleep(waiting ? WAITING_MS : IDLE_MS, AbortSignal.any([stopper.signal, wake.signal]));
      if (wake.signal.aborted) wake = new AbortController();
    }
  })();

  return {
    nudge: () => wake.abort(),
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}
