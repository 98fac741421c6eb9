import type { Knex } from 'knex';
import { type StoredEvent, fromRecorded } from '../eventstore/envelope.js';
import { type EventStore, type Position, type RecordedEvent, type SubscriptionBatch, comparePositions } from '../eventstore/port.js';
import { SpanKind, extractTraceContext, withSpan } from '../observability/tracing.js';
import { CheckpointMovedError, type CommitCheckpoint, type Fence, commitOf } from './checkpoints.js';

/**
 * A subscriber of the log: a projection, a rebuild, the Kafka outbound, a workflow. It names
 * its checkpoint and the event types it wants; the mechanism reads, batches and checkpoints.
 */
export interface Subscriber {
  /** Its checkpoint's name, and its lease's. */
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  /**
   * Handles a batch and moves the checkpoint with `commit`: inside the transaction that writes
   * the effects when they are in this database (exactly once), after them when they are not
   * (at least once: a crash between the two does them again). 'unchanged': the batch had no
   * effect and `commit` was not called; the checkpoint then moves as an idle one's (below).
   */
  handle(events: readonly StoredEvent[], commit: CommitCheckpoint): Promise<void | 'unchanged'>;
  /**
   * An event it cannot handle after retries is set aside (deadLetters.ts) rather than stopping
   * it for good. Right for read models; never for the outbound, where skipping loses a message.
   */
  readonly deadLetters?: boolean;
}

export type { CommitCheckpoint };

export interface ConsumeOptions {
  readonly store: EventStore;
  readonly db: Knex;
  /** Exclusive: the stored checkpoint to go on from. */
  readonly after: Position;
  readonly signal: AbortSignal;
  readonly batchSize?: number;
  /** Only while this holds (the subscription's lease): checked before every batch, fenced at commit. */
  readonly lease?: { readonly fence: Fence; valid(): boolean };
  /** Return once a batch reaches the head of the log (a rebuild's build phase). */
  readonly untilCaughtUp?: boolean;
  /** How often a checkpoint that batches did not move is written down: IDLE_CHECKPOINT_EVERY_MS by default. */
  readonly idleCheckpointMs?: number;
  /** Return once this many events are handled. */
  readonly stopAfter?: number;
  /** After every batch, with the position everything up to which is handled. */
  readonly onBatch?: (checkpoint: Position, caughtUp: boolean, handled: number) => void;
}

/**
 * An idle filtered subscription still moves its checkpoint (past other subscribers' events, or
 * its own that changed nothing); written down this often, so that an instance that does not run
 * it can answer read-your-writes for positions it has moved past within about a second. A crash
 * before then handles those events again, to the same no effect.
 */
const IDLE_CHECKPOINT_EVERY_MS = 1_000;

export class LeaseEndedError extends Error {
  override name = 'LeaseEndedError';
}

/** The subscriber's handler failed on these events (not the store, not the checkpoint). */
export class HandlerFailure extends Error {
  override name = 'HandlerFailure';
  constructor(
    readonly events: readonly RecordedEvent[],
    cause: unknown,
  ) {
    const first = events[0]!;
    const last = events.at(-1)!;
    // Names the events, so that an operator can find them.
    const range = first === last ? `event ${first.eventId}` : `events ${first.eventId} (${first.streamId}) .. ${last.eventId}`;
    super(`${cause instanceof Error ? cause.message : String(cause)} (handling ${range})`, { cause });
  }
}

/**
 * The checkpointed loop every subscriber runs: read a batch after the checkpoint, hand it over,
 * move the checkpoint from where it was read. Returns the last stored checkpoint when stopped.
 */
export async function consume(sub: Subscriber, opts: ConsumeOptions): Promise<Position> {
  let stored = opts.after;
  /** Everything up to here is handled; the stored checkpoint may lag behind it (idle batches). */
  let seen = opts.after;
  let lastWrite = performance.now();
  let handled = 0;
  const idleMs = opts.idleCheckpointMs ?? IDLE_CHECKPOINT_EVERY_MS;
  const commitFrom = (from: Position, to: Position): CommitCheckpoint =>
    commitOf({ name: sub.name, version: sub.version, from, to, ...(opts.lease ? { fence: opts.lease.fence } : {}) });

  // A checkpoint left in memory is written down once the loop has waited that long for a next
  // batch (on a quiet log none may come): other instances' read-your-writes wait on it. Only
  // while the loop waits, so that it never races the loop's own moves.
  let waiting = false;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  const flushLater = (delayMs = Math.max(0, idleMs - (performance.now() - lastWrite))) => {
    timer ??= setTimeout(
      () => {
        timer = undefined;
        if (!waiting || opts.signal.aborted || comparePositions(seen, stored) <= 0) return;
        const to = seen;
        flushing = commitFrom(stored, to)(opts.db)
          .then(
            () => {
              stored = to;
              lastWrite = performance.now();
            },
            (err: unknown) => {
              // Tried again while the loop waits (the database may be back); a checkpoint moved
              // under it is the loop's next move to find out.
              if (!(err instanceof CheckpointMovedError) && waiting) flushLater(Math.max(idleMs, 100));
            },
          )
          .finally(() => (flushing = undefined));
      },
      delayMs,
    );
  };

  try {
    for await (const batch of opts.store.subscribeToAll({
      after: stored,
      filter: { eventTypes: sub.eventTypes },
      batchSize: opts.batchSize ?? 500,
      signal: opts.signal,
    })) {
      waiting = false;
      if (flushing) await flushing;
      const done = await step(batch);
      if (done) return stored;
      if (comparePositions(seen, stored) > 0) flushLater();
      waiting = true;
    }
    return stored;
  } finally {
    waiting = false; // no write of the timer's outlives the loop
    clearTimeout(timer);
    await flushing;
  }

  /** One batch: true when consume is to return. */
  async function step(batch: SubscriptionBatch): Promise<boolean> {
    if (opts.lease && !opts.lease.valid()) throw new LeaseEndedError(`the lease on ${sub.name} ended`);
    let written = false;
    if (batch.events.length > 0) {
      const events = batch.events.map((r) => fromRecorded(r));
      const outcome = await traced(sub, events, () => sub.handle(events, commitFrom(stored, batch.checkpoint))).catch(async (err: unknown) => {
        if (err instanceof CheckpointMovedError) throw err;
        // The dead-letter policy looks for the failing event right after the stored checkpoint:
        // batches that changed nothing are written down first, or it would set a good one aside.
        if (comparePositions(seen, stored) > 0) await commitFrom(stored, seen)(opts.db).catch(() => undefined);
        throw new HandlerFailure(batch.events, err);
      });
      written = outcome !== 'unchanged';
    }
    if (!written && performance.now() - lastWrite >= idleMs) {
      await commitFrom(stored, batch.checkpoint)(opts.db);
      written = true;
    }
    if (written) {
      stored = batch.checkpoint;
      lastWrite = performance.now();
    }
    // In memory the checkpoint may run ahead of the stored one: nothing below it is unhandled.
    seen = batch.checkpoint;
    opts.onBatch?.(batch.checkpoint, batch.caughtUp, batch.events.length);
    handled += batch.events.length;
    return (batch.caughtUp && !!opts.untilCaughtUp) || handled >= (opts.stopAfter ?? Infinity);
  }
}

/** A span per batch, in the trace of the command that wrote its first event (when tracing is on). */
function traced<T>(sub: Subscriber, events: readonly StoredEvent[], work: () => Promise<T>): Promise<T> {
  const traceparent = events[0]!.metadata.traceparent;
  return withSpan(
    `${sub.name} handle`,
    { 'crm.subscription': sub.name, 'crm.events': events.length, 'crm.first_event_id': events[0]!.eventId },
    work,
    { kind: SpanKind.CONSUMER, ...(traceparent ? { parent: extractTraceContext({ traceparent }) } : {}) },
  );
}
