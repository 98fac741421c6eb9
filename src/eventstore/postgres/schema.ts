/**
 * The PostgreSQL event store's schema.
 *
 * Ordering. A bigint sequence is assigned when a row is inserted, not when it commits, so a
 * slow transaction can commit seq 5 after a reader has already passed seq 6: a reader that
 * checkpoints on the sequence alone skips it forever. We order the log by
 * (transaction_id, seq) instead and let readers see only transactions older than the oldest
 * one still running (pg_snapshot_xmin): everything below that horizon is final, nothing can
 * appear there later, and the pair is a stable checkpoint.
 *
 * Stream order. A transaction id is assigned at its first write, so two appends to one
 * stream could get their ids in the opposite order to their revisions if the second one
 * obtained its id before waiting on the first. es_append takes a per-stream advisory lock
 * (which assigns no id) *before* forcing its id, so within a stream a later revision always
 * has a larger transaction id, and (transaction_id, seq) order agrees with revision order.
 *
 * Append is one round trip: one call of es_append. It sends no NOTIFY: PostgreSQL serialises
 * the commits of notifying transactions on a global lock, which would defeat group commit;
 * the store notifies listeners separately, coalesced (store.ts).
 */
export const EVENT_STORE_DDL = `
create table if not exists es_events (
  seq            bigint generated always as identity primary key,
  transaction_id xid8        not null,
  stream_id      text        not null,
  revision       bigint      not null,
  event_id       uuid        not null,
  event_type     text        not null,
  data           jsonb       not null,
  metadata       jsonb       not null,
  created        timestamptz not null default clock_timestamp(),
  constraint es_events_stream_revision unique (stream_id, revision),
  constraint es_events_event_id unique (event_id)
);
create index if not exists es_events_log_order on es_events (transaction_id, seq);
create index if not exists es_events_type on es_events (event_type, transaction_id, seq);

-- p_expected: 'no_stream' | 'any' | 'stream_exists' | a revision as text.
-- Raises SQLSTATE CR409 with the actual revision (or 'none') in DETAIL on a mismatch.
create or replace function es_append(
  p_stream text, p_expected text,
  p_ids uuid[], p_types text[], p_data jsonb[], p_meta jsonb[]
) returns table (next_revision bigint, transaction_id text, seq bigint)
language plpgsql as $$
declare
  v_current bigint;
  v_tx xid8;
  v_count int := coalesce(array_length(p_ids, 1), 0);
begin
  perform pg_advisory_xact_lock(hashtextextended(p_stream, 0));
  v_tx := pg_current_xact_id();
  select max(e.revision) into v_current from es_events e where e.stream_id = p_stream;

  if (p_expected = 'no_stream' and v_current is not null)
     or (p_expected = 'stream_exists' and v_current is null)
     or (p_expected not in ('no_stream', 'any', 'stream_exists')
         and v_current is distinct from p_expected::bigint) then
    raise exception 'wrong expected revision for stream %', p_stream
      using errcode = 'CR409', detail = coalesce(v_current::text, 'none');
  end if;

  if v_count = 0 then
    return query select coalesce(v_current, -1), v_tx::text, null::bigint;
    return;
  end if;

  return query
  with inserted as (
    insert into es_events (transaction_id, stream_id, revision, event_id, event_type, data, metadata)
    select v_tx, p_stream, coalesce(v_current, -1) + u.ord, u.id, u.typ, u.dat, u.met
    from unnest(p_ids, p_types, p_data, p_meta) with ordinality as u(id, typ, dat, met, ord)
    order by u.ord
    returning es_events.revision, es_events.seq
  )
  select max(i.revision), v_tx::text, max(i.seq) from inserted i;
end;
$$;
`;

export const EVENT_STORE_DROP = `
drop function if exists es_append(text, text, uuid[], text[], jsonb[], jsonb[]);
drop table if exists es_events;
`;
