import { GENESIS, chainBody } from '../chain.js';
import type { EventToAppend, ExpectedRevision, JsonObject, UnchangedStream } from '../port.js';

/** The links of the appended events, from the predecessor's hash: every es_append since 1600 runs this text. */
const CHAIN_LINKS_SQL = `  v_prev := coalesce(v_prev, decode('${GENESIS}', 'hex'));
  for i in 1..v_count loop
    v_prev := sha256(v_prev || convert_to((coalesce(v_current, -1) + i)::text || E'\\n' || p_bodies[i], 'UTF8'));
    v_hashes := array_append(v_hashes, v_prev);
  end loop;
`;

/**
 * The check of the streams an append was decided against (port.ts, UnchangedStream), after the
 * expectation: each one's last revision (-1: absent) must still be the one given. Refused with
 * SQLSTATE CR412, the stream in HINT and its revision (or 'none') in DETAIL.
 */
const UNCHANGED_CHECK_SQL = `
  for i in 1..coalesce(array_length(p_unchanged_streams, 1), 0) loop
    v_other := null;
    select e.revision into v_other
    from es_events e where e.stream_id = p_unchanged_streams[i] order by e.revision desc limit 1;
    if coalesce(v_other, -1) <> p_unchanged_revisions[i] then
      raise exception 'stream % changed since it was read', p_unchanged_streams[i]
        using errcode = 'CR412', detail = coalesce(v_other::text, 'none'), hint = p_unchanged_streams[i];
    end if;
  end loop;
`;

/**
 * The locks of an append that names unchanged streams (without any: its own, as before), in one
 * pass in key order (as es_append_group takes its own), so no two appends deadlock: its own streams' exclusively, the
 * unchanged ones' shared. A change to an unchanged stream waits for the appends decided against
 * it to commit, and they for it: in the log, a command decided on a stage set comes before any
 * change to that set it did not see, and otherwise its check sees the change.
 */
export const unchangedLocksSql = (ownOnly: string, own: string) => `  if coalesce(array_length(p_unchanged_streams, 1), 0) = 0 then
${ownOnly}
  else
    perform case when l.exclusive then pg_advisory_xact_lock(l.k) else pg_advisory_xact_lock_shared(l.k) end
    from (
      select k, bool_or(exclusive) as exclusive
      from (select hashtextextended(s, 0) as k, true as exclusive from unnest(${own}) as s
            union all
            select hashtextextended(s, 0), false from unnest(p_unchanged_streams) as s) a
      group by k order by k
    ) l;
  end if;`;

/** An append's own stream's lock (es_append since 0001). */
const OWN_LOCK_SQL = '  perform pg_advisory_xact_lock(hashtextextended(p_stream, 0));';

/**
 * es_append's head, the same in 1600's function, 1850's and 1950's: the signature, the
 * per-stream lock, the expectation check and the chain links. Shared text, so they cannot
 * drift; 1950's overload (`unchanged`) takes the streams the append was decided against too.
 */
const appendPrologueSql = (unchanged: boolean) => `create or replace function es_append(
  p_stream text, p_expected text,
  p_ids uuid[], p_types text[], p_data jsonb[], p_meta jsonb[], p_bodies text[]${unchanged ? ',\n  p_unchanged_streams text[], p_unchanged_revisions bigint[]' : ''}
) returns table (next_revision bigint, transaction_id text, seq bigint)
language plpgsql as $$
declare
  v_current bigint;
  v_prev bytea;
  v_tx xid8;
  v_count int := coalesce(array_length(p_ids, 1), 0);
  v_hashes bytea[] := '{}';${unchanged ? '\n  v_other bigint;' : ''}
begin
${unchanged ? unchangedLocksSql(`  ${OWN_LOCK_SQL}`, 'array[p_stream]') : OWN_LOCK_SQL}
  v_tx := pg_current_xact_id();
  select e.revision, e.hash into v_current, v_prev
  from es_events e where e.stream_id = p_stream order by e.revision desc limit 1;

  if (p_expected = 'no_stream' and v_current is not null)
     or (p_expected = 'stream_exists' and v_current is null)
     or (p_expected not in ('no_stream', 'any', 'stream_exists')
         and v_current is distinct from p_expected::bigint) then
    raise exception 'wrong expected revision for stream %', p_stream
      using errcode = 'CR409', detail = coalesce(v_current::text, 'none');
  end if;
${unchanged ? UNCHANGED_CHECK_SQL : ''}
  if v_count = 0 then
    return query select coalesce(v_current, -1), v_tx::text, null::bigint;
    return;
  end if;
  if coalesce(array_length(p_bodies, 1), 0) <> v_count then
    raise exception 'es_append: one chain body per event';
  end if;

${CHAIN_LINKS_SQL}
`;

/**
 * es_append with the hash chain (migration 1600 replaces 0001's). The caller sends each event's
 * chain body (chain.ts) beside its data; under the per-stream advisory lock the function reads
 * the last event's revision and hash (one indexed lookup, as before the revision alone), then
 * hashes each body with the revision it assigns, in order. Computing here rather than in the
 * caller means no extra round trip and no way for two writers to chain from one predecessor:
 * the lock that orders revisions orders links.
 *
 * The only part of chain.ts repeated here: sha256(prev || utf8(revision || '\n' || body)),
 * starting from GENESIS. The chain conformance cases recompute every stored hash in TypeScript.
 */
export const CHAINED_APPEND_DDL = `
alter table es_events add column if not exists hash bytea;

drop function if exists es_append(text, text, uuid[], text[], jsonb[], jsonb[]);

-- p_expected: 'no_stream' | 'any' | 'stream_exists' | a revision as text.
-- Raises SQLSTATE CR409 with the actual revision (or 'none') in DETAIL on a mismatch.
${appendPrologueSql(false)}  return query
  with inserted as (
    insert into es_events (transaction_id, stream_id, revision, event_id, event_type, data, metadata, hash)
    select v_tx, p_stream, coalesce(v_current, -1) + u.ord, u.id, u.typ, u.dat, u.met, u.hsh
    from unnest(p_ids, p_types, p_data, p_meta, v_hashes) with ordinality as u(id, typ, dat, met, hsh, ord)
    order by u.ord
    returning es_events.revision, es_events.seq
  )
  select max(i.revision), v_tx::text, max(i.seq) from inserted i;
end;
$$;
`;

/**
 * es_append as migration 1850 replaces 1600's: the same checks, lock order and chain
 * (CHAIN_LINKS_SQL, 1600's text), and one more path. A single event, what nearly every command
 * appends, is inserted with a plain VALUES row into variables: no unnest, sort, CTE and result
 * set to plan and run for one row, which was about a fifth of the function's server time (W1 in
 * docs/performance.md).
 */
const singleEventAppendDdl = (unchanged: boolean) => `
${appendPrologueSql(unchanged)}  transaction_id := v_tx::text;
  if v_count = 1 then
    insert into es_events (transaction_id, stream_id, revision, event_id, event_type, data, metadata, hash)
    values (v_tx, p_stream, coalesce(v_current, -1) + 1, p_ids[1], p_types[1], p_data[1], p_meta[1], v_hashes[1])
    returning es_events.revision, es_events.seq into next_revision, seq;
    return next;
    return;
  end if;

  return query
  with inserted as (
    insert into es_events (transaction_id, stream_id, revision, event_id, event_type, data, metadata, hash)
    select v_tx, p_stream, coalesce(v_current, -1) + u.ord, u.id, u.typ, u.dat, u.met, u.hsh
    from unnest(p_ids, p_types, p_data, p_meta, v_hashes) with ordinality as u(id, typ, dat, met, hsh, ord)
    order by u.ord
    returning es_events.revision, es_events.seq
  )
  select max(i.revision), v_tx::text, max(i.seq) from inserted i;
end;
$$;
`;

export const SINGLE_EVENT_APPEND_DDL = singleEventAppendDdl(false);

/**
 * es_append as migration 1950 adds it, beside 1850's (which older instances still call): the
 * same function with the streams the append was decided against checked after the expectation.
 */
export const UNCHANGED_APPEND_DDL = singleEventAppendDdl(true);

export const UNCHANGED_APPEND_DROP = 'drop function if exists es_append(text, text, uuid[], text[], jsonb[], jsonb[], text[], text[], bigint[])';

/** What es_append is sent: one call, the store's and the test harness's alike. */
export const ES_APPEND_SQL =
  'select next_revision::text, transaction_id, seq::text from es_append($1, $2, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::text[], $8::text[], $9::bigint[])';

/**
 * The store sends it as a named prepared statement: parsed and planned once per connection
 * instead of on every append (the function's own statements were already cached by plpgsql).
 */
export const ES_APPEND_STATEMENT = 'crm_es_append_unchanged';

/**
 * es_append's parameters. Data and metadata travel as the JSON text PostgreSQL stores; the
 * chain body is made from that same text parsed again, i.e. from the event as stored.
 */
export function appendParams(streamId: string, expected: ExpectedRevision, events: readonly EventToAppend[], unchanged: readonly UnchangedStream[] = []): unknown[] {
  const data = events.map((e) => JSON.stringify(e.data));
  const metadata = events.map((e) => JSON.stringify(e.metadata));
  const bodies = events.map((e, i) =>
    chainBody({ streamId, eventId: e.eventId, eventType: e.eventType, data: JSON.parse(data[i]!) as JsonObject, metadata: JSON.parse(metadata[i]!) as JsonObject }),
  );
  return [
    streamId,
    typeof expected === 'bigint' ? expected.toString() : expected,
    events.map((e) => e.eventId),
    events.map((e) => e.eventType),
    data,
    metadata,
    bodies,
    unchanged.map((u) => u.streamId),
    unchanged.map((u) => u.revision.toString()),
  ];
}
