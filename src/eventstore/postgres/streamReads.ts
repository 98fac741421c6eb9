import type pg from 'pg';
import type { RecordedEvent } from '../port.js';
import { COLUMNS, type EventRow, toRecorded } from './rows.js';

/**
 * One stream (a command whose own state is kept reads only its stage set) has a statement of its
 * own: PostgreSQL's generic plan for `= any($1)` assumes ten streams, never looks cheaper than a
 * custom plan, and so the array form was planned on every call (162 µs against 26 µs of work).
 */
const ONE = { name: 'es_read_stream', text: `select ${COLUMNS} from es_events where stream_id = $1 order by es_events.revision` };
const MANY = {
  name: 'es_read_streams',
  text: `select ${COLUMNS} from es_events where stream_id = any($1::text[]) order by es_events.stream_id, es_events.revision`,
};

/**
 * Whole-stream reads asked for in the same turn of the event loop go to the database as one
 * statement (issue 14: a round trip costs the service more than the read). A command reads its
 * aggregate's stream beside what it is decided against (the stage set), and concurrent requests
 * read theirs at once; each caller gets its own stream, in revision order, from a snapshot taken
 * after it asked, as a read of its own would. A failed statement fails every read in it.
 */
export function coalescedStreamReads(pool: pg.Pool): (streamId: string) => Promise<RecordedEvent[]> {
  let waiting: Map<string, ((rows: readonly EventRow[] | Error) => void)[]> | undefined;

  async function flush(batch: NonNullable<typeof waiting>): Promise<void> {
    const byStream = new Map<string, EventRow[]>();
    let outcome: Error | undefined;
    try {
      const ids = [...batch.keys()];
      const { rows } = await pool.query<EventRow>(ids.length === 1 ? { ...ONE, values: ids } : { ...MANY, values: [ids] });
      for (const row of rows) {
        const list = byStream.get(row.stream_id);
        if (list) list.push(row);
        else byStream.set(row.stream_id, [row]);
      }
    } catch (err) {
      outcome = err instanceof Error ? err : new Error(String(err));
    }
    for (const [streamId, callers] of batch) for (const settle of callers) settle(outcome ?? byStream.get(streamId) ?? []);
  }

  return (streamId) =>
    new Promise((resolve, reject) => {
      if (!waiting) {
        const batch = new Map<string, ((rows: readonly EventRow[] | Error) => void)[]>();
        waiting = batch;
        setImmediate(() => {
          waiting = undefined;
          void flush(batch);
        });
      }
      const callers = waiting.get(streamId) ?? [];
      // Each caller its own array and envelopes (the parsed payloads of a stream asked for twice are shared).
      callers.push((rows) => (rows instanceof Error ? reject(rows) : resolve(rows.map(toRecorded))));
      waiting.set(streamId, callers);
    });
}
