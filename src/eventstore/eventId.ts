import { v7 } from 'uuid';

/**
 * A new event's id: a UUID version 7 (RFC 9562), whose first 48 bits are the time in
 * milliseconds and whose order within a millisecond is kept by the library's counter. Ids
 * written one after another sort one after another, so every index keyed by them (the log's
 * unique event_id, the timeline's entry keys) grows at its right edge instead of touching a
 * random page per insert: inserting 262,000 timeline rows into a primary key took 1.0 s in
 * that order and 1.8-2.3 s in random (version 4) order on this machine. Still any version of
 * UUID to readers (seed 000 asks for a uuid), and the time is already in the event's envelope.
 */
export const newEventId = (): string => v7();
