import type { Knex } from 'knex';
import { type EventStore, type Position, START, comparePositions, formatPosition } from '../eventstore/port.js';
import { Backoff } from '../shared/backoff.js';
import { errorText, incident } from '../shared/incident.js';
import type { Logger } from '../shared/logger.js';
import { CheckpointMovedError, type StoredCheckpoint, loadCheckpoint } from './checkpoints.js';
import { type Subscriber, LeaseEndedError, consume } from './consume.js';
import { deadLetterNext, failureTracker } from './deadLetters.js';
import type { Lease, Leases } from './leases.js';

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
  /** Someone waits in waitFor: an instance that does not run it then watches the table closely. */
  hasWaiters(): boolean;
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
  /**
   * Where to go on from once running, given the stored checkpoint. Default: that position, and
   * a stored version other than the subscriber's is an error (the projections rebuild instead).
   */
  readonly resume?: (stored: StoredCheckpoint, signal: AbortSignal) => Promise<Position>;
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

export function startSubscription(sub: Subscriber, deps: SubscriptionDeps): RunningSubscription {
  const stopper = new AbortController();
  const waiters = new Set<() => void>();
  const state: { checkpoint: Position; caughtUp: boolean; running: boolean; deadLettered: number; error?: string; errorAt?: string } = {
    checkpoint: START,
    caughtUp: false,
    running: false,
    deadLettered: 0,
  };
  const batchSize = deps.batchSize ?? 500;
  const failures = failureTracker();
  const outage = incident(deps.log, 'subscription', { subscription: sub.name });
  const backoff = new Backoff({ initialMs: 200, maxMs: 10_000, ...deps.backoff });

  function advance(checkpoint: Position, caughtUp: boolean): void {
    if (comparePositions(checkpoint, state.checkpoint) >= 0 || state.running) state.checkpoint = checkpoint;
    state.caughtUp = caughtUp;
    for (const w of waiters) w();
  }

  const resume = deps.resume ?? (async (stored: StoredCheckpoint) => storedPosition(sub, stored));

  async function runHeld(signal: AbortSignal, lease: Lease | undefined): Promise<void> {
    let oneByOne = false;
    while (!signal.aborted) {
      try {
        const after = await resume(await loadCheckpoint(deps.db, sub.name, sub.version), signal);
        advance(after, false);
        await consume(sub, {
          store: deps.store,
          db: deps.db,
          after,
          signal,
          // After repeated failures, one event at a time through the failed batch, to find the bad one.
          ...(oneByOne ? { batchSize: 1, stopAfter: batchSize } : { batchSize }),
          ...(lease ? { lease } : {}),
          onBatch: (checkpoint, caughtUp, handled) => {
            advance(checkpoint, caughtUp);
            delete state.error;
            if (handled > 0) {
              backoff.reset();
              failures.reset();
            }
            outage.recover({ checkpoint: formatPosition(checkpoint) });
            deps.onBatch?.(checkpoint, caughtUp, handled);
          },
        });
        oneByOne = false;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof LeaseEndedError) return;
        if (err instanceof CheckpointMovedError) {
          // A rebuild swapped new tables in, or the lease ended under a commit: start over.
          deps.log.info('subscription checkpoint moved; resuming from the stored one', { subscription: sub.name });
          if (lease && !lease.valid()) return;
          continue;
        }
        state.error = errorText(err);
        state.errorAt = new Date().toISOString();
        state.caughtUp = false;
        deps.onError?.(err);
        outage.fail(err, { checkpoint: formatPosition(state.checkpoint) });
        if (sub.deadLetters) {
          const next = await setAside(err, lease).catch(() => 'retry' as const);
          if (next === 'one-by-one') oneByOne = true;
          if (next === 'set-aside') {
            oneByOne = false;
            continue; // at once: the bad event is out of the way
          }
        }
        await backoff.wait(signal);
      }
    }
  }

  /** Where a failure streak has got to: retry, go one by one, or set the failing event aside. */
  async function setAside(err: unknown, lease: Lease | undefined): Promise<'retry' | 'one-by-one' | 'set-aside'> {
    const { position } = await loadCheckpoint(deps.db, sub.name, sub.version);
    const next = failures.failed(err, position);
    if (next !== 'dead-letter') return next;
    const parked = await deadLetterNext(deps, sub, position, errorText(err), lease?.fence);
    failures.reset();
    if (!parked) return 'retry';
    state.deadLettered++;
    deps.log.error('event set aside after repeated failures; the subscription goes on without it', {
      subscription: sub.name,
      event_id: parked.eventId,
      stream_id: parked.streamId,
      position: formatPosition(parked.position),
      error: errorText(err),
    });
    return 'set-aside';
  }

  async function run(): Promise<void> {
    while (!stopper.signal.aborted) {
      const lease = deps.leases ? await deps.leases.acquire(sub.name, stopper.signal) : undefined;
      if (deps.leases && !lease) return; // stopped while waiting
      const signal = lease ? AbortSignal.any([stopper.signal, lease.lost]) : stopper.signal;
      state.running = true;
      try {
        await runHeld(signal, lease);
      } finally {
        state.running = false;
        state.caughtUp = false;
        // Stopping hands over at once; a lost lease is already someone else's.
        if (stopper.signal.aborted) await lease?.release().catch(() => undefined);
      }
      if (!lease) return;
    }
  }

  const loop = run();

  return {
    name: sub.name,
    eventTypes: sub.eventTypes,
    status: () => ({
      name: sub.name,
      version: sub.version,
      checkpoint: state.checkpoint,
      caughtUp: state.caughtUp,
      running: state.running,
      deadLettered: state.deadLettered,
      ...(state.error ? { error: state.error, errorAt: state.errorAt } : {}),
    }),
    observe(checkpoint) {
      if (!state.running) advance(checkpoint, state.caughtUp);
    },
    waitFor(position, timeoutMs) {
      if (comparePositions(state.checkpoint, position) >= 0) return Promise.resolve('reached');
      return new Promise((resolve) => {
        const check = () => {
          if (comparePositions(state.checkpoint, position) >= 0) finish('reached');
        };
        const finish = (outcome: 'reached' | 'timeout') => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(outcome);
        };
        const timer = setTimeout(() => finish('timeout'), timeoutMs);
        waiters.add(check);
      });
    },
    hasWaiters: () => waiters.size > 0,
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}
