import { excludeSystemEvents } from '@eventstore/db-client';
import type { AllStreamResolvedEvent, AllStreamSubscription, EventStoreDBClient } from '@eventstore/db-client';
import { START, comparePositions, type Position, type RecordedEvent, type SubscribeOptions, type SubscriptionBatch } from '../port.js';
import { compileFilter, isSystem, toPosition, toReadPosition, toRecorded } from './convert.js';

const DEFAULT_BATCH_SIZE = 100;
/** caughtUp trusts a head read this recent; a live subscriber reads the head at most this often. */
const HEAD_FRESH_MS = 50;

/**
 * subscribeToAll on EventStoreDB. The server drops system records only; the port's filter
 * runs here, so every delivered record moves the checkpoint at once (a server-side filter
 * checkpoints once per 32-record search window, and an idle subscriber would lag the head
 * for as long as nothing matched). Runs of system records move it by the server's filter
 * checkpoints, which the client signals out of band while earlier records still wait in the
 * Readable's buffer: each is applied after exactly the records buffered before it.
 *
 * caughtUp is measured against the head of the log: servers before 24.2 never send
 * fellBehind, so their caughtUp signal cannot tell when a subscriber falls behind again.
 */
export async function* subscribeToAll(
  client: EventStoreDBClient,
  headPosition: () => Promise<Position>,
  options: SubscribeOptions = {},
): AsyncGenerator<SubscriptionBatch> {
  const { signal } = options;
  if (signal?.aborted) return;
  const after = options.after ?? START;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const matches = compileFilter(options.filter);

  let head = await headPosition();
  let headReadAt = Date.now();
  if (signal?.aborted) return;

  // Wake-up plumbing: every listener below calls notify; the loop sleeps on `wake`.
  let pending = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    pending = true;
    const w = wake;
    wake = undefined;
    w?.();
  };

  // We read in paused mode with read(): the async iterator would take a record out of the
  // buffer some microtasks before we see it, which would blur the count below.
  const checkpoints: { position: Position; dueAt: number }[] = [];
  let consumed = 0;
  const sub: AllStreamSubscription = client.subscribeToAll({
    fromPosition: toReadPosition(after),
    filter: excludeSystemEvents({
      checkpointInterval: 1,
      checkpointReached: (_s, p) => {
        const position = toPosition(p);
        if (position) checkpoints.push({ position, dueAt: consumed + sub.readableLength });
        notify();
      },
    }),
  });

  let failure: Error | undefined;
  let ended = false;
  const onError = (err: Error): void => {
    failure = err;
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  sub.on('error', onError);
  sub.on('end', onEnd);
  sub.on('close', onEnd);
  sub.on('readable', notify); // also keeps the stream in paused mode
  signal?.addEventListener('abort', notify);

  let checkpoint = after;
  let lastCheckpoint = after;
  let lastCaughtUp = false;
  const advance = (p: Position): void => {
    // Never move back: some server versions repeat stale checkpoints once live.
    if (comparePositions(p, checkpoint) > 0) checkpoint = p;
  };
  const applyDueCheckpoints = (): void => {
    while (checkpoints.length > 0 && checkpoints[0]!.dueAt <= consumed) advance(checkpoints.shift()!.position);
  };
  /**
   * At the head as it stands. Past the head we knew, that head is stale: read it again. At it,
   * a read younger than HEAD_FRESH_MS is trusted (live batches would read it every time).
   */
  const atHead = async (): Promise<boolean> => {
    if (sub.readableLength > 0) return false;
    const vsHead = comparePositions(checkpoint, head);
    if (vsHead < 0) return false;
    if (vsHead > 0 || Date.now() - headReadAt > HEAD_FRESH_MS) {
      head = await headPosition();
      headReadAt = Date.now();
    }
    return comparePositions(checkpoint, head) >= 0;
  };

  try {
    for (;;) {
      pending = false;
      applyDueCheckpoints();
      const events: RecordedEvent[] = [];
      while (events.length < batchSize && !signal?.aborted && failure === undefined) {
        // Object-mode Readable: read() is typed any, it yields the client's resolved events.
        const resolved = sub.read() as AllStreamResolvedEvent | null;
        if (resolved === null) break;
        consumed += 1;
        const event = resolved.event;
        const position = event ? toPosition(event.position) : undefined;
        // ESDB resumes after fromPosition already; the check only guards the exclusive bound.
        if (event && position && comparePositions(position, after) > 0) {
          advance(position); // records that do not match are behind us too
          if (!isSystem(event) && matches(event.streamId, event.type)) events.push(toRecorded(event));
        }
        applyDueCheckpoints();
      }
      if (signal?.aborted) return;
      if (failure !== undefined) throw failure;

      const caughtUp = await atHead();
      if (events.length > 0 || caughtUp !== lastCaughtUp || comparePositions(checkpoint, lastCheckpoint) !== 0) {
        lastCheckpoint = checkpoint;
        lastCaughtUp = caughtUp;
        yield { events, checkpoint, caughtUp };
        continue;
      }
      if (ended) throw new Error('EventStoreDB subscription to $all ended unexpectedly');
      // Anything the head moved on by is a user record on its way to us: a push wakes us.
      if (!pending) await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal?.removeEventListener('abort', notify);
    sub.off('end', onEnd);
    sub.off('close', onEnd);
    sub.off('readable', notify);
    sub.off('error', onError);
    // A late error from a dying stream must not become an unhandled 'error' event.
    sub.on('error', () => undefined);
    try {
      await sub.unsubscribe();
    } catch {
      // The gRPC call never started or is already gone: nothing to cancel.
    }
    sub.destroy();
  }
}
