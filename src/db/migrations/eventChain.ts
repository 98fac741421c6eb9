import type { Knex } from 'knex';
import { GENESIS, eventHash } from '../../eventstore/chain.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import { EVENT_STORE_DDL } from '../../eventstore/postgres/schema.js';
import { CHAINED_APPEND_DDL, SINGLE_EVENT_APPEND_DDL, UNCHANGED_APPEND_DDL, UNCHANGED_APPEND_DROP } from '../../eventstore/postgres/appendSql.js';
import { APPEND_GROUP_DDL, APPEND_GROUP_DROP, UNCHANGED_APPEND_GROUP_DDL, UNCHANGED_APPEND_GROUP_DROP } from '../../eventstore/postgres/appendGroupSql.js';
import { COLUMNS, type EventRow, toRecorded } from '../../eventstore/postgres/rows.js';
import type { Migration } from './index.js';

const PAGE = 1000;

/**
 * Chains every stored event from its stream's genesis, in revision order, with the same
 * function appends use: the log written before the chain existed is chained as it stands when
 * the migration runs (that moment is the chain's documented starting point; nothing earlier
 * can be proved). Keyset pages over (stream_id, revision); a stream spanning pages carries on.
 */
async function chainExistingEvents(knex: Knex): Promise<number> {
  let after: RecordedEvent | undefined;
  let prev = GENESIS;
  let done = 0;
  for (;;) {
    const { rows } = (await knex.raw(
      `select ${COLUMNS} from es_events ${after ? 'where (stream_id, revision) > (?, ?::bigint)' : ''} order by es_events.stream_id, es_events.revision limit ${PAGE}`,
      after ? [after.streamId, after.revision.toString()] : [],
    )) as { rows: EventRow[] };
    if (rows.length === 0) return done;
    const links: { seq: string; hash: string }[] = [];
    for (const e of rows.map(toRecorded)) {
      if (e.streamId !== after?.streamId) prev = GENESIS;
      prev = eventHash(prev, e);
      links.push({ seq: e.position.prepare.toString(), hash: prev });
      after = e;
    }
    await knex.raw(
      `update es_events e set hash = decode(v.hash, 'hex') from jsonb_to_recordset(?::jsonb) as v(seq bigint, hash text) where e.seq = v.seq`,
      [JSON.stringify(links)],
    );
    done += rows.length;
  }
}

/** Migrations of the event store's hash chain (names 1600-1699) and of es_append since (1850-1899, 1900-1949, 1950-1999). */
export const eventChainMigrations: readonly Migration[] = [
  {
    name: '1600_event_chain',
    // In the migration's transaction: appends wait on the table lock (reads go on), so no event
    // lands between the backfill and the new es_append.
    async up(knex) {
      await knex.raw('lock table es_events in exclusive mode');
      await knex.raw(CHAINED_APPEND_DDL);
      await chainExistingEvents(knex);
      await knex.raw('alter table es_events alter column hash set not null');
    },
    async down(knex) {
      await knex.raw('drop function if exists es_append(text, text, uuid[], text[], jsonb[], jsonb[], text[])');
      await knex.raw('alter table es_events drop column if exists hash');
      await knex.raw(EVENT_STORE_DDL); // 0001's es_append again (the table exists: left as is)
    },
  },
  {
    name: '1850_es_append_single_event',
    // Same signature, checks and chain: only how one event is inserted changes (appendSql.ts).
    up: async (knex) => void (await knex.raw(SINGLE_EVENT_APPEND_DDL)),
    down: async (knex) => void (await knex.raw(CHAINED_APPEND_DDL)), // idempotent: 1600's function again
  },
  {
    name: '1900_es_append_group',
    // A new function beside es_append (appendGroupSql.ts): single-event appends to distinct
    // streams in one call and one commit, answered per append.
    up: async (knex) => void (await knex.raw(APPEND_GROUP_DDL)),
    down: async (knex) => void (await knex.raw(APPEND_GROUP_DROP)),
  },
  {
    name: '1950_es_append_unchanged',
    // Overloads beside 1850's and 1900's, which older instances go on calling: the same
    // functions, also checking the streams an append was decided against (port.ts, UnchangedStream).
    async up(knex) {
      await knex.raw(UNCHANGED_APPEND_DDL);
      await knex.raw(UNCHANGED_APPEND_GROUP_DDL);
    },
    async down(knex) {
      await knex.raw(UNCHANGED_APPEND_GROUP_DROP);
      await knex.raw(UNCHANGED_APPEND_DROP);
    },
  },
];
