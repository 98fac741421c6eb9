import type { Position } from '../eventstore/port.js';

/**
 * Aggregate states this process decided on last, by stream (issue 14): a command on a cached
 * stream skips reading and folding its history. The entry is only a guess at the stream's
 * head, so the handler trusts it for one thing: an append at its revision, which the store
 * refuses if anyone (another instance, a workflow) wrote since. Anything else it would decide
 * on a guess (a refusal, a no-op, a stale If-Match) is decided again on a fresh read.
 *
 * Only streams without personal data are kept (privacy/units.ts): an erasure destroys a key,
 * and from then on a read shows the data erased while the stream's revision has not moved (its
 * erasure events follow), so a cached state would keep what the log no longer shows.
 */
export interface CachedState {
  readonly state: unknown;
  /** The stream's last revision and position that the state folds. */
  readonly revision: bigint;
  readonly position: Position;
}

export interface StateCache {
  get(streamId: string): CachedState | undefined;
  /** Kept unless an entry at a later revision is already there (two commands finishing out of order). */
  put(streamId: string, entry: CachedState): void;
  delete(streamId: string): void;
}

/** At most `max` streams, the least recently used dropped first. */
export function createStateCache(max: number): StateCache {
  const entries = new Map<string, CachedState>();
  return {
    get(streamId) {
      const hit = entries.get(streamId);
      if (hit) {
        // Map order is insertion order: re-inserted, it is the most recently used.
        entries.delete(streamId);
        entries.set(streamId, hit);
      }
      return hit;
    },
    put(streamId, entry) {
      const there = entries.get(streamId);
      if (there && there.revision > entry.revision) return;
      entries.delete(streamId);
      entries.set(streamId, entry);
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    delete: (streamId) => void entries.delete(streamId),
  };
}
