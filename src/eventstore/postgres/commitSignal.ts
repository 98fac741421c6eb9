import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Incident, incident } from '../../shared/incident.js';
import type { Logger } from '../../shared/logger.js';
import { type Wakeups, createWakeups } from './wakeups.js';

/**
 * How a store's live subscriptions hear of commits: this process's appends wake them at once;
 * other processes' through PostgreSQL's NOTIFY, heard on one LISTEN connection per store.
 * Lost (the server restarted), the listener is opened again with backoff; meanwhile
 * subscriptions poll, so a lost listener costs latency, never events.
 */
export interface CommitSignal {
  readonly wakeups: Wakeups;
  /** Opens the LISTEN connection unless it is open (or opening); never rejects. */
  listen(): Promise<void>;
  /** An append committed here: wake this process now, the others by one NOTIFY per NOTIFY_COALESCE_MS. */
  announce(): void;
  close(): Promise<void>;
}

const NOTIFY_CHANNEL = 'es_events';
const NOTIFY_COALESCE_MS = 10;
/** The LISTEN connection, when lost, is opened again after this long at first, doubling to the cap. */
const RELISTEN_MS = { first: 250, max: 10_000 };

export function createCommitSignal(options: { clientConfig: pg.ClientConfig; pool: pg.Pool; pollMs: number; log?: Logger }): CommitSignal {
  const { clientConfig, pool } = options;
  const wakeups = createWakeups(options.pollMs);
  const wake = () => wakeups.wake();
  // Names this store's NOTIFYs: its own come back to its listener, and its subscriptions, woken
  // at the append already, would read the log once more for nothing.
  const self = randomUUID();
  let listener: pg.Client | undefined;
  let starting: Promise<void> | undefined;
  let relistenTimer: NodeJS.Timeout | undefined;
  let relistenDelay = RELISTEN_MS.first;
  let notifyPending = false;
  let closed = false;
  const outage: Incident | undefined = options.log ? incident(options.log, 'event store LISTEN wake-up') : undefined;

  function listen(): Promise<void> {
    if (listener || closed) return Promise.resolve();
    starting ??= (async () => {
      const client = new pg.Client(clientConfig);
      client.on('notification', (msg) => {
        if (msg.payload !== self) wake();
      });
      client.on('error', (err) => {
        if (listener === client) listener = undefined;
        client.end().catch(() => undefined);
        outage?.fail(err);
        relisten();
      });
      try {
        await client.connect();
        await client.query(`listen ${NOTIFY_CHANNEL}`);
      } catch (err) {
        client.end().catch(() => undefined);
        throw err;
      }
      listener = client;
      relistenDelay = RELISTEN_MS.first;
      outage?.recover();
      // Anything appended while nobody listened: subscriptions look now rather than at their next poll.
      wake();
    })()
      .catch((err: unknown) => {
        outage?.fail(err);
        relisten();
      })
      .finally(() => {
        starting = undefined;
      });
    return starting;
  }

  function relisten(): void {
    if (closed || relistenTimer) return;
    relistenTimer = setTimeout(() => {
      relistenTimer = undefined;
      void listen();
    }, relistenDelay);
    relistenTimer.unref();
    relistenDelay = Math.min(relistenDelay * 2, RELISTEN_MS.max);
  }

  return {
    wakeups,
    listen,
    announce() {
      wake();
      if (notifyPending || closed) return;
      notifyPending = true;
      // Outside the append's transaction (schema.ts): a NOTIFY inside serialises every commit.
      setTimeout(() => {
        notifyPending = false;
        if (!closed) pool.query('select pg_notify($1, $2)', [NOTIFY_CHANNEL, self]).catch(() => undefined);
      }, NOTIFY_COALESCE_MS);
    },
    async close() {
      closed = true;
      clearTimeout(relistenTimer);
      wake();
      const l = listener;
      listener = undefined;
      await l?.end().catch(() => undefined);
    },
  };
}
