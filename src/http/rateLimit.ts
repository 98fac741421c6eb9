import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { type DatabaseTimeouts, guardPool, pgOptions } from '../db/pgOptions.js';
import { type PoolUsage, pgPoolUsage } from '../observability/metrics.js';

/**
 * Seed 004's rate limits: per user 1,000 requests a minute with bursts of at most 50 a second,
 * and 100,000 a minute for the whole service. Counted by rate-limiter-flexible (maintained,
 * widely used, atomic upserts) in a PostgreSQL table, so the limits hold across every instance
 * that shares the database without another server to run. The table is UNLOGGED and its
 * connections commit asynchronously: a counter is not worth a WAL flush. If the database cannot
 * be reached the counters fall back to memory (per instance) for a few seconds at a time rather
 * than refuse, or delay, every request.
 *
 * A request first takes a point of its caller's second; only if that passes does it count
 * against the caller's minute and the global minute, so a refused burst does not eat the
 * minute's quota.
 */
export interface RateLimitConfig {
  /** 0 switches a limit off. */
  readonly perUserPerMinute: number;
  readonly perUserPerSecond: number;
  readonly globalPerMinute: number;
}

export interface RateLimitVerdict {
  readonly allowed: boolean;
  /** What X-RateLimit-* say: the caller's minute. */
  readonly limit: number;
  readonly remaining: number;
  /** Epoch seconds at which the caller's minute starts afresh. */
  readonly reset: number;
  /** Seconds to wait, when refused. */
  readonly retryAfter?: number;
  readonly scope?: 'burst' | 'user' | 'global';
}

export interface RateLimiter {
  /** Counts one request of `caller` (a user, an API key or an unauthenticated address). */
  check(caller: string): Promise<RateLimitVerdict>;
  /** Its own connection pool's usage, for db_pool_connections. */
  connections(): PoolUsage;
  close(): Promise<void>;
}

const TABLE = 'rate_limits';

/** After the store fails, count in memory for this long before asking it again: an outage costs no waits. */
const STORE_PAUSE_MS = 5000;

interface Limiter {
  readonly shared: RateLimiterPostgres;
  readonly local: RateLimiterMemory;
}

function limiter(pool: pg.Pool, keyPrefix: string, points: number, duration: number): Limiter {
  return {
    shared: new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: TABLE,
      tableCreated: true,
      keyPrefix,
      points,
      duration,
      // Once refused, refuse in memory until the window ends: a flood costs no queries.
      inMemoryBlockOnConsumed: points + 1,
    }),
    local: new RateLimiterMemory({ keyPrefix, points, duration }),
  };
}

/** consume() resolves under the limit and rejects with a RateLimiterRes over it. */
async function consume(l: RateLimiterPostgres | RateLimiterMemory, key: string, points = 1): Promise<RateLimiterRes> {
  try {
    return await l.consume(key, points);
  } catch (rejected) {
    if (rejected instanceof RateLimiterRes) return Object.assign(rejected, { refused: true });
    throw rejected;
  }
}

/**
 * The global minute is taken from the shared count a chunk of points at a time and spent here:
 * one statement per chunk instead of one per request on the row every request of every instance
 * updates (issue 14). A chunk is at most a thousandth of the limit (20 at most: 20 of seed 004's
 * 100,000), so an instance refuses at most that early near the limit; a small limit is counted
 * one by one, as before. A reservation lapses with its window.
 */
function reserving(limit: number, take: (points: number) => Promise<RateLimiterRes | undefined>): () => Promise<RateLimiterRes | undefined> {
  const chunk = Math.max(1, Math.min(20, Math.floor(limit / 1000)));
  let left = 0;
  let until = 0;
  let last: RateLimiterRes | undefined;
  return async () => {
    if (Date.now() >= until) left = 0;
    if (left > 0) {
      left--;
      return last;
    }
    const r = await take(chunk);
    if (r && !refused(r)) {
      // Requests that reserved at the same moment each add their chunk.
      if (Date.now() >= until) left = 0;
      left += chunk - 1;
      until = Date.now() + r.msBeforeNext;
      last = r;
    }
    return r;
  };
}

const refused = (r: RateLimiterRes | undefined) => r !== undefined && 'refused' in r;
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function createRateLimiter(connectionString: string, config: RateLimitConfig, timeouts?: DatabaseTimeouts): RateLimiter {
  let storeDownUntil = 0;
  /** The shared count; per-instance memory while the database cannot be reached. */
  const take = async (l: Limiter | undefined, key: string, points = 1): Promise<RateLimiterRes | undefined> => {
    if (!l) return undefined;
    if (Date.now() >= storeDownUntil) {
      try {
        return await consume(l.shared, key, points);
      } catch {
        storeDownUntil = Date.now() + STORE_PAUSE_MS;
      }
    }
    return consume(l.local, key, points);
  };
  // Lost connections must not end the process; the insurance limiter covers outages.
  const pool = guardPool(
    new pg.Pool({ ...pgOptions(connectionString, timeouts, 'crm-pipeline-ratelimit', { synchronous_commit: 'off' }), max: 4 }),
  );
  const burst = config.perUserPerSecond > 0 ? limiter(pool, 'rl_s', config.perUserPerSecond, 1) : undefined;
  const minute = config.perUserPerMinute > 0 ? limiter(pool, 'rl_m', config.perUserPerMinute, 60) : undefined;
  const global = config.globalPerMinute > 0 ? limiter(pool, 'rl_g', config.globalPerMinute, 60) : undefined;
  const takeGlobal = reserving(config.globalPerMinute, (points) => take(global, 'all', points));
  // The caller's minute as last seen here, for the headers of a request its burst refused.
  const lastMinute = new Map<string, { remaining: number; resetAt: number }>();

  return {
    async check(caller) {
      const now = Date.now();
      const limit = config.perUserPerMinute;
      const known = lastMinute.get(caller);
      const headers = (m: RateLimiterRes | undefined) => {
        if (m) lastMinute.set(caller, { remaining: m.remainingPoints, resetAt: now + m.msBeforeNext });
        const last = lastMinute.get(caller) ?? known;
        const resetAt = last && last.resetAt > now ? last.resetAt : now + 60_000;
        return { limit, remaining: last && last.resetAt > now ? last.remaining : limit, reset: Math.ceil(resetAt / 1000) };
      };
      if (lastMinute.size > 10_000) lastMinute.clear(); // a bound; it only feeds headers

      const b = await take(burst, caller);
      if (refused(b)) return { allowed: false, ...headers(undefined), retryAfter: seconds(b!.msBeforeNext), scope: 'burst' };
      const [m, g] = await Promise.all([take(minute, caller), global ? takeGlobal() : undefined]);
      if (refused(m)) return { allowed: false, ...headers(m), retryAfter: seconds(m!.msBeforeNext), scope: 'user' };
      if (refused(g)) return { allowed: false, ...headers(m), retryAfter: seconds(g!.msBeforeNext), scope: 'global' };
      return { allowed: true, ...headers(m) };
    },
    connections: pgPoolUsage(pool),
    close: () => pool.end(),
  };
}
