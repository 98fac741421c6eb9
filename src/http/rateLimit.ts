import pg from 'pg';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { type DatabaseTimeouts, guardPool, pgOptions } from '../db/pgOptions.js';
import { type PoolUsage, pgPoolUsage } from '../observability/metrics.js';
import { type SharedCounts, type WindowCount, sharedCounter } from './rateLimitCount.js';

/**
 * Seed 004's rate limits: per user 1,000 requests a minute with bursts of at most 50 a second,
 * and 100,000 a minute for the whole service. Counted in a PostgreSQL table (rate-limiter-flexible's
 * rows, counted together for the requests that arrive together: rateLimitCount.ts), so the limits hold across every instance
 * that shares the database without another server to run. The table is UNLOGGED and its
 * connections commit asynchronously: a counter is not worth a WAL flush. If the database cannot
 * be reached the counters fall back to rate-limiter-flexible's memory limiters (per instance) for
 * a few seconds at a time rather than refuse, or delay, every request.
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

/** After the store fails, count in memory for this long before asking it again: an outage costs no waits. */
const STORE_PAUSE_MS = 5000;

/** consume() resolves under the limit and rejects with a RateLimiterRes over it. */
async function consumeLocal(l: RateLimiterMemory | undefined, key: string): Promise<WindowCount | undefined> {
  if (!l) return undefined;
  const res = await l.consume(key).catch((rejected: unknown) => {
    if (rejected instanceof RateLimiterRes) return rejected;
    throw rejected;
  });
  return { points: res.consumedPoints, expire: Date.now() + res.msBeforeNext };
}

/**
 * The global minute is taken from the shared count a chunk of points at a time and spent here:
 * one count per chunk instead of one per request on the row every request of every instance
 * updates (issue 14). A chunk is at most a thousandth of the limit (20 at most: 20 of seed 004's
 * 100,000), so an instance refuses at most that early near the limit; a small limit is counted
 * one by one. A reservation lapses with its window.
 */
function globalChunks(limit: number) {
  const chunk = Math.max(1, Math.min(20, Math.floor(limit / 1000)));
  let left = 0;
  let until = 0;
  return {
    /** Points this request takes from the shared count: 0 when a chunk taken earlier covers it. */
    need(now: number): number {
      if (now >= until) left = 0;
      if (left === 0) return chunk;
      left--;
      return 0;
    },
    /** A chunk taken: its other points serve the next requests (requests that took one together each add theirs). */
    took(count: WindowCount, now: number): void {
      if (count.points > limit) return;
      if (now >= until) left = 0;
      left += chunk - 1;
      until = count.expire;
    },
  };
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function createRateLimiter(connectionString: string, config: RateLimitConfig, timeouts?: DatabaseTimeouts): RateLimiter {
  // Lost connections must not end the process; memory counts during outages.
  const pool = guardPool(
    new pg.Pool({ ...pgOptions(connectionString, timeouts, 'crm-pipeline-ratelimit', { synchronous_commit: 'off' }), max: 4 }),
  );
  const windows = { burstLimit: config.perUserPerSecond, minuteLimit: config.perUserPerMinute, globalLimit: config.globalPerMinute };
  const countShared = sharedCounter(pool, windows);
  const memory = (points: number, duration: number, keyPrefix: string) =>
    points > 0 ? new RateLimiterMemory({ keyPrefix, points, duration }) : undefined;
  const local = { burst: memory(windows.burstLimit, 1, 'rl_s'), minute: memory(windows.minuteLimit, 60, 'rl_m'), global: memory(windows.globalLimit, 60, 'rl_g') };
  const chunks = globalChunks(windows.globalLimit);
  let storeDownUntil = 0;

  /** The shared counts; per-instance memory while the database cannot be reached. */
  async function count(caller: string, now: number): Promise<SharedCounts> {
    const globalPoints = windows.globalLimit > 0 ? chunks.need(now) : 0;
    if (windows.burstLimit === 0 && windows.minuteLimit === 0 && globalPoints === 0) return {}; // nothing to count
    if (now >= storeDownUntil) {
      try {
        const counts = await countShared({ burstKey: `rl_s:${caller}`, minuteKey: `rl_m:${caller}`, globalPoints });
        if (counts.global) chunks.took(counts.global, now);
        return counts;
      } catch {
        storeDownUntil = Date.now() + STORE_PAUSE_MS;
      }
    }
    const burst = await consumeLocal(local.burst, caller);
    if (burst && burst.points > windows.burstLimit) return { burst };
    const [minute, global] = await Promise.all([consumeLocal(local.minute, caller), consumeLocal(local.global, 'all')]);
    return { ...(burst ? { burst } : {}), ...(minute ? { minute } : {}), ...(global ? { global } : {}) };
  }

  // Once a window refuses a caller, it refuses here until the window ends: a flood costs no queries.
  const blocked = new Map<string, { until: number; scope: 'burst' | 'user' }>();
  // The caller's minute as last seen here, for the headers of a request its burst refused.
  const lastMinute = new Map<string, { remaining: number; resetAt: number }>();

  return {
    async check(caller) {
      const now = Date.now();
      const limit = config.perUserPerMinute;
      const headers = (m: WindowCount | undefined) => {
        if (m) lastMinute.set(caller, { remaining: Math.max(limit - m.points, 0), resetAt: m.expire });
        const last = lastMinute.get(caller);
        const current = last && last.resetAt > now ? last : undefined;
        return { limit, remaining: current ? current.remaining : limit, reset: Math.ceil((current?.resetAt ?? now + 60_000) / 1000) };
      };
      // Bounds; both only spare queries or feed headers.
      if (lastMinute.size > 10_000) lastMinute.clear();
      if (blocked.size > 10_000) blocked.clear();

      const block = blocked.get(caller);
      if (block && block.until > now) return { allowed: false, ...headers(undefined), retryAfter: seconds(block.until - now), scope: block.scope };
      const { burst, minute, global } = await count(caller, now);
      const refuse = (w: WindowCount, scope: 'burst' | 'user' | 'global', m: WindowCount | undefined): RateLimitVerdict => {
        if (scope !== 'global') blocked.set(caller, { until: w.expire, scope });
        return { allowed: false, ...headers(m), retryAfter: seconds(w.expire - Date.now()), scope };
      };
      if (burst && burst.points > windows.burstLimit) return refuse(burst, 'burst', undefined);
      if (minute && minute.points > windows.minuteLimit) return refuse(minute, 'user', minute);
      if (global && global.points > windows.globalLimit) return refuse(global, 'global', minute);
      return { allowed: true, ...headers(minute) };
    },
    connections: pgPoolUsage(pool),
    close: () => pool.end(),
  };
}
