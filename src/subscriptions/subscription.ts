import type { Knex } from 'knex';
import { type EventStore, type Position, formatPosition } from '../eventstore/port.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { Backoff, sleep } from '../shared/backoff.js';
import { errorText, incident } from '../shared/incident.js';
import type { Logger } from '../shared/logger.js';
import { CheckpointMovedError, type StoredCheckpoint, loadCheckpoint } from './checkpoints.js';
import { type Subscriber, LeaseEndedError, consume } from './consume.js';
import { deadLetterPolicy } from './deadLetters.js';
import type { Lease, Leases } from './leases.js';
import { createProgress } from './progress.js';

/**
 * A subscriber run for as long as the service runs: on the instance that holds its lease (when
 * leases are given), restarted from its stored checkpoint after any failure with capped backoff
 * that a stop cuts short, and handed over when the lease ends or the service stops.
 */
export interface SubscriptionStatus {
  readonly name: string;
  readonly version: number;
  /** Everything up to here is handled (this instance's view when another one runs it). */
  readonly checkpoint: Position;
  readonly caughtUp: boolean;
  /** This instance runs it now. */
  readonly running: boolean;
  /** Events this instance set aside since it started (subscription_dead_letters has them all). */
  readonly deadLettered: number;
  readonly error?: string;
  readonly errorAt?: string;
}

export interface RunningSubscription {
  readonly name: string;
  readonly eventTypes: readonly string[];
  status(): SubscriptionStatus;
  /** Another instance runs it: what its stored checkpoint says (read-your-writes, health). */
  observe(checkpoint: Position): void;
  /** Resolves 'reached' once everything up to `position` is handled, or 'timeout'. */
  waitFor(position: Position, timeoutMs: number): Promise<'reached' | 'timeout'>;
  /** The furthest position a waitFor waits for: an instance that does not run it then looks closely. */
  waitingFor(): Position | undefined;
  stop(): Promise<void>;
}

export interface SubscriptionDeps {
  readonly store: EventStore;
  readonly db: Knex;
  readonly log: Logger;
  /** Absent: this process runs it unconditionally (one instance, tests, tools). */
  readonly leases?: Leases;
  readonly batchSize?: number;
  readonly backoff?: { initialMs?: number; maxMs?: number };
  /** How often a checkpoint that batches did not move is written down (consume.ts); about a second by default. */
  readonly idleCheckpointMs?: number;
  /**
   * Where to go on from once running, given the stored checkpoint. Default: that position, and
   * a stored version other than the subscriber's is an error (the projections rebuild instead).
   */
  readonly resume?: (stored: StoredCheckpoint, signal: AbortSignal) => Promise<Position>;
  /** Where it begins when it has no stored checkpoint yet; START when absent. */
  readonly firstPosition?: () => Promise<Position>;
  /** Told about failures (the outbound marks Kafka as unreachable). */
  readonly onError?: (err: unknown) => void;
  /** Told after every batch. */
  readonly onBatch?: (checkpoint: Position, caughtUp: boolean, handled: number) => void;
}

/** The default resume: the stored position, which must be of the subscriber's own version. */
export function storedPosition(sub: Subscriber, stored: StoredCheckpoint): Position {
  if (stored.version !== sub.version) {
    throw new Error(`${sub.name}'s checkpoint is at version ${stored.version}, this code's is ${sub.version}; not running it`);
  }
  return stored.position;
}

/**
 * A holder that keeps failing gives its lease up after this many failures in a row, and stays
 * out for YIELD_PAUSE_MS, so that an instance that can do the work (reach Kafka, say) takes over.
 */
const YIELD_AFTER_FAILURES = 5;
const YIELD_PAUSE_MS = 10_000;

export function startSubscription(sub: Subscriber, deps: SubscriptionDeps): RunningSubscription {
  const stopper = new AbortController();
  const progress = createProgress();
  const state: { running: boolean; error?: string; errorAt?: string } = { running: false };
  const batchSize = deps.batchSize ?? 500;
  const deadLetters = deadLetterPolicy(deps, sub);
  const outage = incident(deps.log, 'subscription', { subscription: sub.name });
  const backoff = new Backoff({ initialMs: 200, maxMs: 10_000, ...deps.backoff });
  const resume = deps.resume ?? (async (stored: StoredCheckpoint) => storedPosition(sub, stored));

  function failed(err: unknown): void {
    state.error = errorText(err);
    state.errorAt = new Date().toISOString();
    progress.advance(progress.checkpoint, false);
    deps.onError?.(err);
    outage.fail(err, { checkpoint: formatPosition(progress.checkpoint) });
  }

  /** Runs it while `signal` lasts; 'yield' when it keeps failing and another instance may do better. */
  async function runHeld(signal: AbortSignal, lease: Lease | undefined): Promise<'done' | 'yield'> {
    let oneByOne = false;
    let failuresInARow = 0;
    while (!signal.aborted) {
      let after: Position;
      try {
        const stored = await loadCheckpoint(deps.db, sub.name, sub.version, deps.firstPosition);
        // Meanwhile (a rebuild may take minutes) the stored checkpoint is what the tables hold.
        progress.advance(stored.position, false, true);
        after = await resume(stored, signal);
        progress.advance(after, false, true);
      } catch (err) {
        if (signal.aborted) return 'done';
        failed(err);
        if (lease && !isDatabaseUnavailable(err) && ++failuresInARow >= YIELD_AFTER_FAILURES) return 'yield';
        await backoff.wait(signal);
        continue;
      }
      try {
        await consume(sub, {
          store: deps.store,
          db: deps.db,
          after,
          signal,
          // After repeated failures, one event at a time through the failed batch, to find the bad one.
          ...(oneByOne ? { batchSize: 1, stopAfter: batchSize } : { batchSize }),
          ...(deps.idleCheckpointMs !== undefined ? { idleCheckpointMs: deps.idleCheckpointMs } : {}),
          ...(lease ? { lease } : {}),
          onBatch: (checkpoint, caughtUp, handled) => {
            progress.advance(checkpoint, caughtUp);
            delete state.error;
            failuresInARow = 0;
            deadLetters.succeeded();
            if (handled > 0) backoff.reset();
            outage.recover({ checkpoint: formatPosition(checkpoint) });
            deps.onBatch?.(checkpoint, caughtUp, handled);
          },
        });
        oneByOne = false;
      } catch (err) {
        if (signal.aborted || err instanceof LeaseEndedError) return 'done';
        if (err instanceof CheckpointMovedError) {
          // A rebuild swapped new tables in, or the lease ended under a commit: start over.
          deps.log.info('subscription checkpoint moved; resuming from the stored one', { subscription: sub.name });
          if (lease && !lease.valid()) return 'done';
          continue;
        }
        failed(err);
        const next = await deadLetters.failed(err, lease?.fence).catch(() => 'retry' as const);
        if (next === 'set-aside') {
          oneByOne = false;
          continue; // at once: the bad event is out of the way
        }
        if (next === 'one-by-one') oneByOne = true;
        // An unreachable database is the same for every instance: no point handing over.
        else if (lease && !isDatabaseUnavailable(err) && ++failuresInARow >= YIELD_AFTER_FAILURES) return 'yield';
        await backoff.wait(signal);
      }
    }
    return 'done';
  }

  async function run(): Promise<void> {
    while (!stopper.signal.aborted) {
      const lease = deps.leases ? await deps.leases.acquire(sub.name, stopper.signal) : undefined;
      if (deps.leases && !lease) return; // stopped while waiting
      const signal = lease ? AbortSignal.any([stopper.signal, lease.lost]) : stopper.signal;
      state.running = true;
      let outcome: 'done' | 'yield' = 'done';
      try {
        outcome = await runHeld(signal, lease);
      } finally {
        state.running = false;
        progress.advance(progress.checkpoint, false);
        // Stopping hands over at once; a lost lease is already someone else's.
        if (stopper.signal.aborted || outcome === 'yield') await lease?.release().catch(() => undefined);
      }
      if (!lease) return;
      if (outcome === 'yield') {
        deps.log.warn('subscription keeps failing here; leaving it to another instance for a while', { subscription: sub.name });
        await sleep(YIELD_PAUSE_MS, stopper.signal);
      }
    }
  }

  const loop = run().catch((err: unknown) => deps.log.error('subscription loop ended', { subscription: sub.name, error: errorText(err) }));

  return {
    name: sub.name,
    eventTypes: sub.eventTypes,
    status: () => ({
      name: sub.name,
      version: sub.version,
      checkpoint: progress.checkpoint,
      caughtUp: progress.caughtUp,
      running: state.running,
      deadLettered: deadLetters.count,
      ...(state.error ? { error: state.error, errorAt: state.errorAt } : {}),
    }),
    observe(checkpoint) {
      if (!state.running) progress.advance(checkpoint, progress.caughtUp);
    },
    waitFor: (position, timeoutMs) => progress.waitFor(position, timeoutMs),
    waitingFor: () => progress.waitingFor(),
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}
