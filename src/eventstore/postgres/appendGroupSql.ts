import { GENESIS } from '../chain.js';
import type { EventToAppend, ExpectedRevision, UnchangedStream } from '../port.js';
import { appendParams, unchangedLocksSql } from './appendSql.js';

/** Every stream's lock, in one order. */
const GROUP_LOCKS_SQL = `  perform pg_advisory_xact_lock(l.k)
  from (select distinct hashtextextended(s, 0) as k from unnest(p_streams) as s order by 1) l;`;

// Migration 1950's overload (UNCHANGED_APPEND_GROUP_DDL): the streams each append was decided against.
const UNCHANGED_PARAMS = ',\n  p_unchanged_items int[], p_unchanged_streams text[], p_unchanged_revisions bigint[]';
const UNCHANGED_DECLARE = '\n  v_other bigint;';
// The first of this append's streams that moved since it was read (none: changed is null).
const UNCHANGED_READ = `
    changed := null;
    if i = any(p_unchanged_items) then
      select u.stream, o.revision into changed, v_other
      from unnest(p_unchanged_items, p_unchanged_streams, p_unchanged_revisions) as u(it, stream, revision)
      left join lateral (select e.revision from es_events e where e.stream_id = u.stream order by e.revision desc limit 1) o on true
      where u.it = i and coalesce(o.revision, -1) <> u.revision
      limit 1;
    end if;`;
// Checked once the expectation holds, before anything is written.
const UNCHANGED_CHECK = `
    elsif changed is not null then
      refused := 'unchanged';
      actual := coalesce(v_other::text, 'none');`;

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
const appendGroupDdl = (unchanged: boolean) => `
create or replace function es_append_group(
  p_streams text[], p_expected text[],
  p_ids uuid[], p_types text[], p_data jsonb[], p_meta jsonb[], p_bodies text[]${unchanged ? UNCHANGED_PARAMS : ''}
) returns table (item int, next_revision bigint, transaction_id text, seq bigint, refused text, actual text${unchanged ? ', changed text' : ''})
language plpgsql as $$
declare
  v_tx xid8;
  v_current bigint;
  v_prev bytea;
  v_revision bigint;
  v_expected text;${unchanged ? UNCHANGED_DECLARE : ''}
begin
${unchanged ? unchangedLocksSql(GROUP_LOCKS_SQL.replace(/^/gm, '  '), 'p_streams') : GROUP_LOCKS_SQL}
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
    from es_events e where e.stream_id = p_streams[i] order by e.revision desc limit 1;${unchanged ? UNCHANGED_READ : ''}

    if (v_expected = 'no_stream' and v_current is not null)
       or (v_expected = 'stream_exists' and v_current is null)
       or (v_expected not in ('no_stream', 'any', 'stream_exists')
           and v_current is distinct from v_expected::bigint) then
      refused := 'revision';
      actual := coalesce(v_current::text, 'none');${unchanged ? UNCHANGED_CHECK : ''}
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

export const APPEND_GROUP_DDL = appendGroupDdl(false);

/**
 * Migration 1950's overload, beside 1900's (which older instances still call): each append's
 * streams it was decided against (port.ts, UnchangedStream) are checked after its expectation,
 * given as three arrays (the append's 1-based item, the stream, its revision); a stream that
 * moved refuses that append alone: 'unchanged', the stream in \`changed\`, its revision in \`actual\`.
 */
export const UNCHANGED_APPEND_GROUP_DDL = appendGroupDdl(true);

export const UNCHANGED_APPEND_GROUP_DROP =
  'drop function if exists es_append_group(text[], text[], uuid[], text[], jsonb[], jsonb[], text[], int[], text[], bigint[])';

export const APPEND_GROUP_DROP = 'drop function if exists es_append_group(text[], text[], uuid[], text[], jsonb[], jsonb[], text[])';

export const ES_APPEND_GROUP_SQL =
  'select item, next_revision::text, transaction_id, seq::text, refused, actual, changed from es_append_group($1::text[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::text[], $8::int[], $9::text[], $10::bigint[])';

/** Sent as a named prepared statement, as es_append is. */
export const ES_APPEND_GROUP_STATEMENT = 'crm_es_append_group_unchanged';

export interface GroupedAppend {
  readonly streamId: string;
  readonly event: EventToAppend;
  readonly expected: ExpectedRevision;
  readonly unchanged?: readonly UnchangedStream[];
}

export interface GroupRow {
  item: number;
  next_revision: string | null;
  transaction_id: string;
  seq: string | null;
  refused: 'revision' | 'id' | 'unchanged' | null;
  actual: string | null;
  /** The stream that moved, when refused 'unchanged'. */
  changed: string | null;
}

/** es_append_group's parameters: es_append's, one element per append, built the same way; then the unchanged streams, each with its append's item. */
export function appendGroupParams(items: readonly GroupedAppend[]): unknown[] {
  const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
  items.forEach(({ streamId, event, expected, unchanged = [] }, i) => {
    const single = appendParams(streamId, expected, [event]);
    columns[0]!.push(single[0]);
    columns[1]!.push(single[1]);
    for (let c = 2; c < 7; c++) columns[c]!.push((single[c] as unknown[])[0]);
    for (const u of unchanged) {
      columns[7]!.push(i + 1);
      columns[8]!.push(u.streamId);
      columns[9]!.push(u.revision.toString());
    }
  });
  return columns;
}
