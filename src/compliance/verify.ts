import { type StreamHead, GENESIS, eventHash } from '../eventstore/chain.js';
import type { AllFilter, EventStore, Position, RecordedEvent } from '../eventstore/port.js';
import { START } from '../eventstore/port.js';
import { tenantStreamPrefix } from '../eventstore/streams.js';

/**
 * Verify: recomputes the hash chains (chain.ts) of the whole log, a tenant or a stream from
 * the events as stored, in bounded pages, and names the first broken link of each stream.
 * A changed event breaks its own link; a deleted one leaves a revision gap, named at the
 * missing revision. What no chain can show (the last events of a stream deleted, or a
 * rewrite with every later hash recomputed) the head digest shows (headDigest.ts).
 */
export type ChainScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'tenant'; readonly tenantId: string; readonly categories: readonly string[] }
  | { readonly kind: 'stream'; readonly streamId: string };

export interface BrokenLink {
  readonly streamId: string;
  readonly revision: bigint;
  readonly reason: string;
  readonly expectedHash?: string;
  readonly foundHash?: string;
}

export interface ChainReport {
  readonly streams: number;
  readonly events: number;
  readonly broken: readonly BrokenLink[];
  /** Each stream's last event (within the cut) with its recomputed hash: what a head digest covers. */
  readonly heads: readonly StreamHead[];
}

export interface VerifyOptions {
  /** Only events the store recorded at or before this instant (a head digest's as_of). */
  readonly until?: Date;
  readonly onProgress?: (done: number, total: number | undefined) => void;
}

const PAGE = 1000;

interface Walk {
  next: bigint;
  prev: string;
  /** A stored hash was seen: from then on every event must carry one. */
  chained: boolean;
  broken: boolean;
}

/** One event against its stream's walk so far; the first break per stream is reported. */
function step(walk: Walk, e: RecordedEvent, broken: BrokenLink[]): void {
  const fail = (link: Omit<BrokenLink, 'streamId'>) => {
    if (!walk.broken) broken.push({ streamId: e.streamId, ...link });
    walk.broken = true;
  };
  if (e.revision !== walk.next) {
    fail({ revision: walk.next, reason: e.revision > walk.next ? `revision ${walk.next} is missing (next stored: ${e.revision})` : `revision ${e.revision} out of order` });
  }
  const expected = eventHash(walk.prev, e);
  if (e.hash === undefined) {
    // Only EventStoreDB events from before the chain carry none; after a chained one it is a break.
    if (walk.chained) fail({ revision: e.revision, reason: 'no hash stored', expectedHash: expected });
  } else if (e.hash !== expected) {
    fail({ revision: e.revision, reason: 'hash does not match the event as stored', expectedHash: expected, foundHash: e.hash });
  }
  walk.chained ||= e.hash !== undefined;
  // Carried on from the content, not the stored hash: the heads are what the events as stored chain to.
  walk.prev = expected;
  walk.next = e.revision + 1n;
}

const scopeFilter = (scope: ChainScope): AllFilter | undefined =>
  scope.kind === 'tenant' ? { streamPrefixes: scope.categories.map((c) => tenantStreamPrefix(c, scope.tenantId)) } : undefined;

/** The scope's events in bounded pages: a stream by revision, otherwise the log in global order. */
async function* pages(store: EventStore, scope: ChainScope): AsyncGenerator<RecordedEvent[]> {
  if (scope.kind === 'stream') {
    for (let from = 0n; ; from += BigInt(PAGE)) {
      const page = await store.readStream(scope.streamId, { fromRevision: from, maxCount: PAGE });
      yield page;
      if (page.length < PAGE) return;
    }
  }
  const filter = scopeFilter(scope);
  let after: Position = START;
  for (;;) {
    const page = await store.readPage({ after, maxCount: PAGE, ...(filter ? { filter } : {}) });
    yield page.events;
    if (page.end) return;
    after = page.next;
  }
}

/** Within a stream, revision order is log order (both stores), so one pass over the log checks every chain. */
export async function verifyChains(store: EventStore, scope: ChainScope, options: VerifyOptions = {}): Promise<ChainReport> {
  const filter = scopeFilter(scope);
  const total = scope.kind === 'stream' ? undefined : await store.countEvents?.(filter ? { filter } : {});
  const walks = new Map<string, Walk>();
  const lastOf = new Map<string, bigint>();
  const broken: BrokenLink[] = [];
  let events = 0;
  let read = 0;
  const until = options.until?.getTime();
  for await (const page of pages(store, scope)) {
    for (const e of page) {
      read++;
      if (until !== undefined && e.created.getTime() > until) continue;
      let walk = walks.get(e.streamId);
      if (!walk) walks.set(e.streamId, (walk = { next: 0n, prev: GENESIS, chained: false, broken: false }));
      step(walk, e, broken);
      lastOf.set(e.streamId, e.revision);
      events++;
    }
    options.onProgress?.(read, total);
  }
  const heads = [...walks].map(([streamId, w]) => ({ streamId, revision: lastOf.get(streamId)!, hash: w.prev }));
  return { streams: walks.size, events, broken, heads };
}
