import { randomUUID } from 'node:crypto';

/**
 * A new event's id: a UUID version 7 (RFC 9562), whose first 48 bits are the time in
 * milliseconds. Ids written one after another sort one after another (within a millisecond in
 * any order), so every index keyed by them (the log's unique event_id, the timeline's entry
 * keys) grows at its right edge instead of touching a random page per insert: inserting 262,000
 * timeline rows into a primary key took 1.0 s in that order and 1.8-2.3 s in random (version 4)
 * order on this machine. Still any version of UUID to readers (seed 000 asks for a uuid).
 *
 * The random bits come from node's randomUUID, which draws them from a pooled buffer: 0.1-0.3 µs
 * an id, against 6-7 µs for the uuid package's v7, which asks the system for 16 bytes each time.
 */
export function newEventId(): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V the RFC's variant
  const now = Date.now();
  if (now !== last.ms) {
    const hex = now.toString(16).padStart(12, '0');
    last = { ms: now, prefix: `${hex.slice(0, 8)}-${hex.slice(8)}-7` };
  }
  return last.prefix + random.slice(15);
}

/** The time part of the last id made: ids come in bursts within one millisecond. */
let last = { ms: -1, prefix: '' };
