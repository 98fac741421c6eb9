import type { Knex } from 'knex';
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics (GET /metrics): prefix crm_, durations in seconds, counters
 * ending in _total. Each app gets its own Registry, so several apps in one process (tests) keep
 * their series apart; nothing here is a module global.
 */
export const METRIC_PREFIX = 'crm_';

/** A connection pool as db_pool_connections reports it. */
export interface PoolUsage {
  readonly used: number;
  readonly free: number;
  readonly pending: number;
}

export type CommandOutcome = 'ok' | 'conflict' | 'rejected' | 'forbidden' | 'not_found' | 'unavailable' | 'error';
export type InboundOutcome = 'processed' | 'duplicate' | 'dead_lettered';
export type LeadershipChange = 'acquired' | 'lost' | 'released';

/** One subscription as the subscription_* gauges show it at a scrape. */
export interface SubscriptionReading {
  readonly subscription: string;
  readonly lagEvents: number;
  readonly lagSeconds: number;
  readonly checkpoint: number;
  readonly leader: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly commandDuration: Histogram<'aggregate' | 'command' | 'outcome'>;
  readonly eventstoreAppendDuration: Histogram<'outcome'>;
  readonly eventstoreAppendConflicts: Counter;
  /** Events between the subscription's checkpoint and the head of the log. */
  readonly subscriptionLagEvents: Gauge<'subscription'>;
  /** Age of the oldest event the subscription has not handled yet; 0 when caught up. */
  readonly subscriptionLagSeconds: Gauge<'subscription'>;
  /** The checkpoint's global position (its commit part). */
  readonly subscriptionCheckpoint: Gauge<'subscription'>;
  /** 1 while this instance holds the subscription's lease, else 0. */
  readonly subscriptionLeader: Gauge<'subscription'>;
  readonly subscriptionLeadershipChanges: Counter<'subscription' | 'change'>;
  readonly kafkaMessagesPublished: Counter<'topic'>;
  readonly kafkaPublishErrors: Counter;
  readonly kafkaInboundMessages: Counter<'topic' | 'outcome'>;
  readonly dbPoolConnections: Gauge<'pool' | 'state'>;
  readonly rateLimitRejections: Counter<'limit'>;
  /** Reports a pool's usage under `name` at every scrape; returns the way to stop. */
  watchPool(name: string, usage: () => PoolUsage): () => void;
  /** Reads the subscriptions for the subscription_* gauges at every scrape. */
  watchSubscriptions(read: () => Promise<readonly SubscriptionReading[]>): void;
  /** Reads the shared tail's pause, in milliseconds, at every scrape (PostgreSQL store only; once per registry). */
  watchTailPause(read: () => number): void;
}

// Requests and commands take milliseconds to seconds; appends are faster.
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const APPEND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const registers = [registry];
  const name = (n: string) => `${METRIC_PREFIX}${n}`;
  const pools = new Map<string, () => PoolUsage>();
  let readSubscriptions: (() => Promise<readonly SubscriptionReading[]>) | undefined;
  // The four subscription gauges share one reading per scrape (it costs queries).
  let reading: { at: number; value: Promise<readonly SubscriptionReading[]> } | undefined;
  const subscriptionGauge = (metric: string, help: string, value: (r: SubscriptionReading) => number) =>
    new Gauge({
      name: name(metric),
      help,
      labelNames: ['subscription'] as const,
      registers,
      async collect() {
        if (!readSubscriptions) return;
        if (!reading || Date.now() - reading.at > 500) reading = { at: Date.now(), value: readSubscriptions().catch(() => []) };
        this.reset();
        for (const r of await reading.value) this.set({ subscription: r.subscription }, value(r));
      },
    });

  const dbPoolConnections = new Gauge({
    name: name('db_pool_connections'),
    help: 'Connections of a database pool by state: used (checked out), free (idle), pending (callers waiting for one)',
    labelNames: ['pool', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const [pool, usage] of pools) {
        const u = usage();
        this.set({ pool, state: 'used' }, u.used);
        this.set({ pool, state: 'free' }, u.free);
        this.set({ pool, state: 'pending' }, u.pending);
      }
    },
  });

  return {
    registry,
    httpRequestDuration: new Histogram({
      name: name('http_request_duration_seconds'),
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    commandDuration: new Histogram({
      name: name('command_duration_seconds'),
      help: 'Commands (load, decide, append) by aggregate, command and outcome',
      labelNames: ['aggregate', 'command', 'outcome'] as const,
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    eventstoreAppendDuration: new Histogram({
      name: name('eventstore_append_duration_seconds'),
      help: 'Event store appends by outcome (ok, conflict, error)',
      labelNames: ['outcome'] as const,
      buckets: APPEND_BUCKETS,
      registers,
    }),
    eventstoreAppendConflicts: new Counter({
      name: name('eventstore_append_conflicts_total'),
      help: 'Appends refused because the stream was not at the expected revision',
      registers,
    }),
    subscriptionLagEvents: subscriptionGauge('subscription_lag_events', 'Events between a subscription checkpoint and the head of the log', (r) => r.lagEvents),
    subscriptionLagSeconds: subscriptionGauge(
      'subscription_lag_seconds',
      'Age of the oldest event a subscription has not handled yet (0 when caught up)',
      (r) => r.lagSeconds,
    ),
    subscriptionCheckpoint: subscriptionGauge('subscription_checkpoint', 'Global position (commit part) of a subscription checkpoint', (r) => r.checkpoint),
    subscriptionLeader: subscriptionGauge('subscription_leader', '1 while this instance holds the subscription, else 0', (r) => (r.leader ? 1 : 0)),
    subscriptionLeadershipChanges: new Counter({
      name: name('subscription_leadership_changes_total'),
      help: 'Leases of a subscription acquired, lost or released by this instance',
      labelNames: ['subscription', 'change'] as const,
      registers,
    }),
    kafkaMessagesPublished: new Counter({
      name: name('kafka_messages_published_total'),
      help: 'Messages acknowledged by Kafka, by topic',
      labelNames: ['topic'] as const,
      registers,
    }),
    kafkaPublishErrors: new Counter({
      name: name('kafka_publish_errors_total'),
      help: 'Failed publish attempts (retried)',
      registers,
    }),
    kafkaInboundMessages: new Counter({
      name: name('kafka_inbound_messages_total'),
      help: 'Consumed messages by topic and outcome (processed, duplicate, dead_lettered, own: our own published event read back and skipped)',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    dbPoolConnections,
    rateLimitRejections: new Counter({
      name: name('rate_limit_rejections_total'),
      help: 'Requests refused with 429, by the limit that refused them (burst, user, global)',
      labelNames: ['limit'] as const,
      registers,
    }),
    watchSubscriptions(read) {
      readSubscriptions = read;
    },
    watchTailPause(read) {
      // Registered here: without the PostgreSQL store the series is absent rather than 0.
      new Gauge({
        name: name('subscription_tail_pause_seconds'),
        help: "Interval between the starts of the shared reads of the log's head that feed caught-up subscriptions: 0.002 on a calm service, up to 0.05 on a busy one (larger batches)",
        registers,
        collect() {
          this.set(read() / 1000);
        },
      });
    },
    watchPool(pool, usage) {
      pools.set(pool, usage);
      return () => void pools.delete(pool);
    },
  };
}

/** A knex (tarn) pool's usage. */
export function knexPoolUsage(db: Knex): () => PoolUsage {
  return () => {
    const pool = (db.client as { pool?: TarnPool }).pool;
    if (!pool) return { used: 0, free: 0, pending: 0 };
    return { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires() };
  };
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/** A pg.Pool's usage. */
export function pgPoolUsage(pool: pg.Pool): () => PoolUsage {
  return () => ({ used: pool.totalCount - pool.idleCount, free: pool.idleCount, pending: pool.waitingCount });
}
