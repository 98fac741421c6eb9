import type pg from 'pg';

/**
 * How every connection of the service meets PostgreSQL: bounded connecting and querying (a
 * request must never hang on a database that went away), TCP keepalive (a dead peer is noticed),
 * and a name in pg_stat_activity.
 */
export interface DatabaseTimeouts {
  /** Connecting, or waiting for a free pooled connection. */
  readonly connectMs: number;
  /** One statement without an answer. */
  readonly queryMs: number;
}

export const DEFAULT_TIMEOUTS: DatabaseTimeouts = { connectMs: 5000, queryMs: 10_000 };

/**
 * The server cancels a statement after `queryMs` (then nothing of it committed, and the
 * connection stays usable); the client gives up a little later only when the server does not
 * answer at all (a partition), which leaves the outcome unknown.
 */
export function pgOptions(
  connectionString: string,
  timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS,
  name = 'crm-pipeline',
  settings: Record<string, string> = {},
): pg.ClientConfig {
  const gucs = { statement_timeout: String(timeouts.queryMs), ...settings };
  return {
    connectionString,
    connectionTimeoutMillis: timeouts.connectMs,
    query_timeout: timeouts.queryMs + 2000,
    options: Object.entries(gucs)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' '),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: name,
  };
}

/**
 * pg emits 'error' on a client whose server goes away, also while the client is checked out of
 * its pool, when pg-pool's own listener is detached: unheard, that event ends the process. The
 * failing query still rejects, so the listener only has to exist.
 */
export function guardPool(pool: pg.Pool): pg.Pool {
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
