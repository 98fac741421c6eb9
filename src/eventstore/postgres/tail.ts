import { type AllFilter, type Position, type RecordedEvent, comparePositions } from '../port.js';
import { loopPacer } from './tailPace.js';

/**
 * The recent log, read once for all the live subscriptions of one store. Each projection and
 * workflow is a subscription; woken by every append, each used to ask PostgreSQL for its
 * horizon and its page itself: two statements per subscription per append (some 55 for a stage
 * change, issue 14). Caught-up subscriptions now take their pages from this window, which one
 * shared read (horizon, then the unfiltered page above it) keeps up to date.
 *
 * The window holds every event in (from, to], `to` being a horizon or the last event of a full
 * read, exactly as a subscription's own read would have given it: everything below is final. A
 * subscription further back than `from` (catching up, or left behind when the window moved on)
 * reads the database itself, as before.
 *
 * Freshness: a page asked for `since` an instant is served only by a read that began at or after
 * it. A subscription passes the instant of the wake-up it answers (or now, after a poll), so an
 * append acknowledged before that wake-up is in its page, below the horizon, as before.
 */
export interface Tail {
  /** The page after `after`, or undefined when the window cannot answer for it (read it yourself). */
  page(after: Position, maxCount: number, filter: AllFilter | undefined, since: number): Promise<TailPage | undefined>;
  /** The interval, in ms, between the starts of two reads as of now (for /metrics). */
  pause(): number;
}

export interface TailPage {
  readonly events: RecordedEvent[];
  /** Where a page that is not full leaves its reader: every event up to here was considered. */
  readonly horizon: Position;
}

type ReadPage = (after: Position, maxCount: number) => Promise<{ events: RecordedEvent[]; horizon: Position }>;

/** Events kept: a few seconds of a busy service; a subscription further behind reads for itself. */
const CAPACITY = 5_000;
/** One read's size; a full read is followed at once by the next. */
const CHUNK = 1_000;

export interface TailOptions {
  readonly capacity?: number;
  readonly chunk?: number;
  /**
   * Milliseconds from the start of one read to the start of the next: within them every
   * subscription's wake-ups share one read. By default it grows with how busy the process is
   * (tailPace.ts).
   */
  readonly pace?: () => number;
}

export function createTail(read: ReadPage, options: TailOptions = {}): Tail {
  const capacity = options.capacity ?? CAPACITY;
  const chunk = options.chunk ?? CHUNK;
  const pace = options.pace ?? loopPacer();
  const now = () => performance.now();
  let window: { from: Position; to: Position; events: RecordedEvent[] } | undefined;
  /** When the last finished read began: the window is fresh as of then. */
  let freshAsOf = -Infinity;
  let reading: Promise<void> | undefined;
  let lastStart = -Infinity;

  async function refresh(): Promise<void> {
    const w = window!;
    const wait = lastStart + pace() - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const startedAt = (lastStart = now());
    for (;;) {
      const { events, horizon } = await read(w.to, chunk);
      const full = events.length === chunk;
      w.events.push(...events);
      const to = full ? events.at(-1)!.position : horizon;
      if (comparePositions(to, w.to) > 0) w.to = to;
      if (w.events.length > capacity) {
        const dropped = w.events.splice(0, w.events.length - capacity);
        w.from = dropped.at(-1)!.position;
      }
      if (!full) break;
    }
    freshAsOf = startedAt;
  }

  /** Waits for a read that began at or after `since`, starting one when none will. */
  async function freshSince(since: number): Promise<void> {
    while (freshAsOf < since) {
      reading ??= refresh().finally(() => {
        reading = undefined;
      });
      await reading;
    }
  }

  return {
    pause: () => pace(),
    async page(after, maxCount, filter, since) {
      // The first caught-up subscription opens the window where it stands.
      window ??= { from: after, to: after, events: [] };
      if (comparePositions(after, window.from) < 0) return undefined;
      await freshSince(since);
      const w = window;
      if (comparePositions(after, w.from) < 0 || comparePositions(after, w.to) > 0) return undefined;
      const events: RecordedEvent[] = [];
      for (let i = firstAfter(w.events, after); i < w.events.length && events.length < maxCount; i++) {
        const e = w.events[i]!;
        if (matches(e, filter)) events.push(e);
      }
      return { events, horizon: w.to };
    },
  };
}

/** Index of the first event after `after` (binary search: the window is in log order). */
function firstAfter(events: readonly RecordedEvent[], after: Position): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePositions(events[mid]!.position, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The filter as the store's SQL applies it (filterSql in store.ts): types, then stream prefixes. */
function matches(e: RecordedEvent, filter: AllFilter | undefined): boolean {
  if (filter?.eventTypes && !filter.eventTypes.includes(e.eventType)) return false;
  if (filter?.streamPrefixes && !filter.streamPrefixes.some((p) => e.streamId.startsWith(p))) return false;
  return true;
}
