import { GENESIS } from '../chain.js';
import type { EventToAppend, ExpectedRevision } from '../port.js';
import { appendParams } from './appendSql.js';

/**
 * es_append_group (migration 1900): single-event appends in one call and one commit, each
 * checked on its own and answered on its own row, so that one append's wrong expectation or
 * stored id leaves the others written.
 *
 * - Every stream's lock is taken first, in one order (no deadlock between two groups), and
 *   only then is the transaction id assigned: a stream's previous writer committed with a
 *   smaller id, as schema.ts requires of es_append's lock-then-id order.
 * - Then each append in the order given, as es_append does it for one event: the stream's last
 *   event read under the lock, the expectation, the link (CHAIN_LINKS_SQL for one event:
 *   sha256(prev || utf8(revision || '\n' || body))), the insert. Two appends of one stream in
 *   a group therefore chain one after the other, in the caller's order.
 * - A stored event id is `on conflict (event_id) do nothing`: nothing is written for that
 *   append (it has one event) and the others go on.
 *
 * Any other error fails the whole call; the caller then sends each append alone.
 * Answer per append: `refused` null and the position when written; otherwise `refused` is
 * 'revision' or 'id' and `actual` the stream's revision ('none' if absent).
 */
export const APPEND_GROUP_DDL = `
create or replace function es_append_group(
  p_streams text[], p_expected text[],
  p_ids uuid[], p_types text[], p_data jsonb[], p_meta jsonb[], p_bodies text[]
) returns table (item int, next_revision bigint, transaction_id text, seq bigint, refused text, actual text)
language plpgsql as $$
declare
  v_tx xid8;
  v_current bigint;
  v_prev bytea;
  v_revision bigint;
  v_expected text;
begin
  perform pg_advisory_xact_lock(l.k)
  from (select distinct hashtextextended(s, 0) as k from unnest(p_streams) as s order by 1) l;
  v_tx := pg_current_xact_id();
  transaction_id := v_tx::text;

  for i in 1..coalesce(array_length(p_streams, 1), 0) loop
    item := i;
    next_revision := null;
    seq := null;
    refused := null;
    actual := null;
    v_expected := p_expected[i];
    select e.revision, e.hash into v_current, v_prev
    from es_events e where e.stream_id = p_streams[i] order by e.revision desc limit 1;

    if (v_expected = 'no_stream' and v_current is not null)
       or (v_expected = 'stream_exists' and v_current is null)
       or (v_expected not in ('no_stream', 'any', 'stream_exists')
           and v_current is distinct from v_expected::bigint) then
      refused := 'revision';
      actual := coalesce(v_current::text, 'none');
    else
      v_revision := coalesce(v_current, -1) + 1;
      insert into es_events (transaction_id, stream_id, revision, event_id, event_type, data, metadata, hash)
      values (v_tx, p_streams[i], v_revision, p_ids[i], p_types[i], p_data[i], p_meta[i],
        sha256(coalesce(v_prev, decode('${GENESIS}', 'hex')) || convert_to(v_revision::text || E'\\n' || p_bodies[i], 'UTF8')))
      on conflict (event_id) do nothing
      returning es_events.revision, es_events.seq into next_revision, seq;
      if not found then
        refused := 'id';
        actual := coalesce(v_current::text, 'none');
      end if;
    end if;
    return next;
  end loop;
end;
$$;
`;

export const APPEND_GROUP_DROP = 'drop function if exists es_append_group(text[], text[], uuid[], text[], jsonb[], jsonb[], text[])';

export const ES_APPEND_GROUP_SQL =
  'select item, next_revision::text, transaction_id, seq::text, refused, actual from es_append_group($1::text[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::text[])';

/** Sent as a named prepared statement, as es_append is. */
export const ES_APPEND_GROUP_STATEMENT = 'crm_es_append_group';

export interface GroupedAppend {
  readonly streamId: string;
  readonly event: EventToAppend;
  readonly expected: ExpectedRevision;
}

export interface GroupRow {
  item: number;
  next_revision: string | null;
  transaction_id: string;
  seq: string | null;
  refused: 'revision' | 'id' | null;
  actual: string | null;
}

/** es_append_group's parameters: es_append's, one element per append, built the same way. */
export function appendGroupParams(items: readonly GroupedAppend[]): unknown[] {
  const columns: unknown[][] = [[], [], [], [], [], [], []];
  for (const { streamId, event, expected } of items) {
    const single = appendParams(streamId, expected, [event]);
    columns[0]!.push(single[0]);
    columns[1]!.push(single[1]);
    for (let c = 2; c < 7; c++) columns[c]!.push((single[c] as unknown[])[0]);
  }
  return columns;
}
