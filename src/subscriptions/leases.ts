import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { errorText } from '../shared/incident.js';
import type { Logger } from '../shared/logger.js';
import type { Fence } from './checkpoints.js';
import { nap } from './nap.js';

/**
 * Which instance runs each subscription (DESIGN §12): a lease row per subscription in
 * subscription_leases, in database time. Its holder renews it; when the holder dies or stalls the
 * lease runs out and another instance takes it; on shutdown the holder gives it up at once.
 *
 * A table rather than session advisory locks: a stalled process keeps its connection (and its
 * lock) for ever, a lease runs out; and leases work through poolers in transaction mode.
 * One loop per instance renews everything it holds and tries everything it waits for, in one
 * statement each, so the cost does not grow with the number of subscriptions.
 */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  /** Aborted when the lease ends: not renewed in time, taken over, or released. */
  readonly lost: AbortSignal;
  /** For moveCheckpoint: the move commits only while this lease holds in the database. */
  readonly fence: Fence;
  /** False once the lease may have run out, even before the renewal loop has noticed. */
  valid(): boolean;
  /** Gives the lease up now, so that another instance takes over without waiting for expiry. */
  release(): Promise<void>;
}

export interface LeaseHolder {
  readonly holder: string;
  readonly expiresAt: Date;
}

export interface Leases {
  /** This instance's name in the lease table: host, pid and a random part. */
  readonly holder: string;
  /** Waits until this instance holds `name`; undefined when `signal` aborts first. */
  acquire(name: string, signal: AbortSignal): Promise<Lease | undefined>;
  /** Who holds what, for health output. */
  holders(): Promise<Map<string, LeaseHolder>>;
  /** Releases every lease held and stops the loop. */
  stop(): Promise<void>;
}

export interface LeaseOptions {
  /** How long a lease lasts without renewal: a dead holder is replaced within ttl + tick. */
  readonly ttlMs?: number;
  /** How often held leases are renewed and free ones tried. */
  readonly tickMs?: number;
  readonly holder?: string;
  /** Told when leases are acquired or lost (metrics). */
  readonly onChange?: (name: string, change: 'acquired' | 'lost' | 'released') => void;
}

interface Held {
  readonly lease: Lease;
  readonly controller: AbortController;
  /** Local clock (ms) before which the lease is surely still ours. */
  deadline: number;
}

export function createLeases(db: Knex, log: Logger, options: LeaseOptions = {}): Leases {
  const ttlMs = options.ttlMs ?? 5_000;
  const tickMs = options.tickMs ?? Math.min(1_000, Math.floor(ttlMs / 3));
  const holder = options.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const held = new Map<string, Held>();
  const waiting = new Map<string, Set<(lease: Lease) => void>>();
  let stopped = false;
  const pauses = nap();
  let loop: Promise<void> | undefined;
  const ttl = db.raw(`(? * interval '1 millisecond')`, [ttlMs]);

  function end(name: string, change: 'lost' | 'released'): void {
    const h = held.get(name);
    if (!h) return;
    held.delete(name);
    h.controller.abort();
    options.onChange?.(name, change);
    if (change === 'lost') log.warn('subscription lease lost', { subscription: name, holder });
  }

  function grant(name: string, startedAt: number): void {
    const controller = new AbortController();
    const entry: Held = {
      controller,
      deadline: startedAt + ttlMs,
      lease: {
        name,
        holder,
        lost: controller.signal,
        fence: { name, holder },
        valid: () => !controller.signal.aborted && performance.now() < entry.deadline,
        release: async () => {
          if (!held.has(name)) return;
          end(name, 'released');
          await db('subscription_leases')
            .where({ name, holder })
            .update({ expires_at: db.raw(`clock_timestamp() - interval '1 millisecond'`) });
        },
      },
    };
    held.set(name, entry);
    options.onChange?.(name, 'acquired');
    log.info('subscription lease acquired', { subscription: name, holder });
    const waiters = waiting.get(name);
    waiting.delete(name);
    if (!waiters?.size) return void entry.lease.release().catch(() => undefined); // nobody wants it any more
    for (const resolve of waiters) resolve(entry.lease);
  }

  async function renew(): Promise<void> {
    if (held.size === 0) return;
    const startedAt = performance.now();
    const names = [...held.keys()];
    const rows = (await db('subscription_leases')
      .whereIn('name', names)
      .andWhere({ holder })
      .andWhere('expires_at', '>', db.raw('clock_timestamp()'))
      .update({ expires_at: db.raw('clock_timestamp() + ?', [ttl]) })
      .returning('name')) as { name: string }[];
    const renewed = new Set(rows.map((r) => r.name));
    for (const name of names) {
      const h = held.get(name);
      if (!h) continue;
      if (renewed.has(name)) h.deadline = startedAt + ttlMs;
      else end(name, 'lost');
    }
  }

  async function tryAcquire(): Promise<void> {
    const names = [...waiting.keys()].filter((n) => !held.has(n));
    if (names.length === 0) return;
    const startedAt = performance.now();
    const { rows } = await db.raw<{ rows: { name: string }[] }>(
      `insert into subscription_leases (name, holder, term, acquired_at, expires_at)
       select n, ?, 1, clock_timestamp(), clock_timestamp() + ? from jsonb_array_elements_text(?::jsonb) as n
       on conflict (name) do update
         set holder = excluded.holder, term = subscription_leases.term + 1,
             acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
         where subscription_leases.expires_at <= clock_timestamp() or subscription_leases.holder = excluded.holder
       returning name`,
      [holder, ttl, JSON.stringify(names)],
    );
    for (const { name } of rows) grant(name, startedAt);
  }

  async function tick(): Promise<void> {
    while (!stopped) {
      try {
        await renew();
        await tryAcquire();
      } catch (err) {
        // The database is away: nobody can take a lease over meanwhile, but ours may run out.
        log.debug('subscription lease renewal failed', { error: errorText(err) });
      }
      const now = performance.now();
      for (const [name, h] of held) if (now >= h.deadline) end(name, 'lost');
      await pauses.pause(tickMs);
    }
  }

  return {
    holder,
    acquire(name, signal) {
      loop ??= tick().catch((err: unknown) => log.error('subscription lease loop ended', { error: errorText(err) }));
      const mine = held.get(name);
      if (mine?.lease.valid()) return Promise.resolve(mine.lease);
      // Lapsed here (a renewal ran late), though the database may still renew it: its user has
      // stopped. Ended now, it is taken afresh below; revived by a renewal instead, it would stay
      // held with nobody running it and this waiter never served (tryAcquire skips what is held).
      if (mine) end(name, 'lost');
      return new Promise((resolve) => {
        const set = waiting.get(name) ?? new Set();
        const onAbort = () => {
          set.delete(got);
          if (set.size === 0 && waiting.get(name) === set) waiting.delete(name);
          resolve(undefined);
        };
        const got = (lease: Lease) => {
          signal.removeEventListener('abort', onAbort);
          resolve(lease);
        };
        set.add(got);
        waiting.set(name, set);
        pauses.wake(); // try it now rather than at the next tick
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    async holders() {
      const rows = (await db('subscription_leases')
        .where('expires_at', '>', db.raw('clock_timestamp()'))
        .select('name', 'holder', 'expires_at')) as { name: string; holder: string; expires_at: Date }[];
      return new Map(rows.map((r) => [r.name, { holder: r.holder, expiresAt: r.expires_at }]));
    },
    async stop() {
      stopped = true;
      pauses.wake();
      await loop;
      await Promise.allSettled([...held.values()].map((h) => h.lease.release()));
    },
  };
}
