import type pg from 'pg';
import { type StoredId, movedError, repeatedWrite } from '../appendRules.js';
import { type AppendResult, type EventToAppend, type ExpectedRevision, type UnchangedStream, WrongExpectedRevisionError } from '../port.js';
import { type GroupRow, type GroupedAppend, ES_APPEND_GROUP_SQL, ES_APPEND_GROUP_STATEMENT, appendGroupParams } from './appendGroupSql.js';
import type { Settled } from '../../db/callGroups.js';

export interface GroupRunner {
  readonly pool: pg.Pool;
  /** es_append for one append, with every rule of the store's append. */
  appendAlone(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision, unchanged?: readonly UnchangedStream[]): Promise<AppendResult>;
  /** Where the store holds any of these events' ids. */
  storedIds(events: readonly EventToAppend[]): Promise<readonly StoredId[]>;
  /** Called once a call that wrote something has committed, with its transaction id. */
  announce(commit: bigint): void;
}

async function settle<R>(p: Promise<R>): Promise<Settled<R>> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Runs one call of the coalescer (db/callGroups.ts): one append alone through es_append, several
 * through es_append_group. If the group call fails as a whole (a connection lost, an item the
 * database refuses, a deadlock on an id another transaction is writing), each append is sent
 * again alone: if the call had committed after all, each is then a retried write and answers
 * its first result (appendRules.ts), so nothing is written twice.
 */
export function groupRunner(r: GroupRunner): (items: readonly GroupedAppend[]) => Promise<readonly Settled<AppendResult>[]> {
  const alone = (i: GroupedAppend) => settle(r.appendAlone(i.streamId, [i.event], i.expected, i.unchanged));
  // One after the other: appends of one stream keep their order.
  async function eachAlone(items: readonly GroupedAppend[]): Promise<Settled<AppendResult>[]> {
    const results: Settled<AppendResult>[] = [];
    for (const item of items) results.push(await alone(item));
    return results;
  }

  return async (items) => {
    if (items.length === 1) return [await alone(items[0]!)];
    let rows: GroupRow[];
    const client = await r.pool.connect().catch(() => undefined);
    if (!client) return eachAlone(items);
    try {
      ({ rows } = await client.query<GroupRow>({ name: ES_APPEND_GROUP_STATEMENT, text: ES_APPEND_GROUP_SQL, values: appendGroupParams(items) }));
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      return eachAlone(items);
    }
    const written = rows.find((row) => row.refused === null);
    if (written) r.announce(BigInt(written.transaction_id));
    if (rows.length !== items.length || rows.some((row, i) => row.item !== i + 1)) {
      const error = new Error('es_append_group: not one answer per append');
      return items.map(() => ({ ok: false, error }) as const);
    }
    // The refused appends' ids, in one read for the group: a retried write answers its first result.
    const refused = items.filter((_, i) => rows[i]!.refused !== null);
    // A failed read fails only the refused appends: the others are committed.
    const stored: Settled<readonly StoredId[]> =
      refused.length > 0 ? await settle(r.storedIds(refused.map((item) => item.event))) : { ok: true, value: [] };
    return Promise.all(
      items.map(async (item, i): Promise<Settled<AppendResult>> => {
        const row = rows[i]!;
        if (row.refused === null) {
          return { ok: true, value: { nextExpectedRevision: BigInt(row.next_revision!), position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.seq!) } } };
        }
        if (!stored.ok) return stored;
        const id = item.event.eventId.toLowerCase();
        try {
          const first = repeatedWrite(item.streamId, [item.event], item.expected, stored.value.filter((s) => s.eventId.toLowerCase() === id));
          if (first) return { ok: true, value: first };
        } catch (error) {
          return { ok: false, error }; // its id is stored elsewhere: DuplicateEventIdError
        }
        // Refused on an id no longer stored (erased since): as es_append alone would answer.
        if (row.refused === 'id') return alone(item);
        const actual = row.actual === 'none' || row.actual === null ? undefined : BigInt(row.actual);
        if (row.refused === 'unchanged') return { ok: false, error: movedError(item.unchanged ?? [], row.changed ?? undefined, actual) };
        return { ok: false, error: new WrongExpectedRevisionError(item.streamId, item.expected, actual) };
      }),
    );
  };
}
