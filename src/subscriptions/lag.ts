import type { Knex } from 'knex';
import type { EventStore, Position } from '../eventstore/port.js';

/** Lag of a subscription (health, metrics, the outbound backlog). How many events of `eventTypes` lie after `after`; `exact` false means "at least count". */
export type LagCounter = (after: Position, eventTypes: readonly string[]) => Promise<{ count: number; exact: boolean }>;

/**
 * Works on any event store through the port: bounded pages after the checkpoint, stopping once
 * `cap` records are considered, so a health check never scans a huge backlog (nor a long log
 * for a rare event type). Beyond the cap the count is a lower bound.
 */
export function storeLagCounter(store: EventStore, cap = 10_000, page = 1_000): LagCounter {
  return async (after, eventTypes) => {
    let count = 0;
    let from = after;
    for (let scanned = 0; scanned < cap; scanned += page) {
      const read = await store.readPage({ after: from, maxCount: page, maxScan: page, filter: { eventTypes } });
      count += read.events.length;
      if (read.end) return { count, exact: true };
      from = read.next;
    }
    return { count, exact: false };
  };
}

/**
 * One indexed count on the PostgreSQL store's table (es_events_type index). Only valid when the
 * event store is the PostgreSQL one in this same database; counts committed rows, including
 * any still above the store's visibility horizon, which is what "behind" means to an operator.
 */
export function postgresLagCounter(db: Knex, cap = 100_000): LagCounter {
  // Counting stops at the cap: /health must stay cheap however far behind the bridge is.
  return async (after, eventTypes) => {
    const { rows } = await db.raw<{ rows: { n: string }[] }>(
      'select count(*)::text as n from (select 1 from es_events where (transaction_id, seq) > (?::text::xid8, ?::bigint) and event_type = any(?::text[]) limit ?) as behind',
      [after.commit.toString(), after.prepare.toString(), [...eventTypes], cap + 1],
    );
    const n = Number(rows[0]?.n ?? 0);
    return n > cap ? { count: cap, exact: false } : { count: n, exact: true };
  };
}
