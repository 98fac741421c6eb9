import type { Express } from 'express';
import type { Knex } from 'knex';
import type { RequestListener, Server } from 'node:http';
import pg from 'pg';
import type { AddressInfo } from 'node:net';
import { createKafkaBridge, parseBrokers } from './bridges/kafka/bridge.js';
import { loadKafkaClient } from './bridges/kafka/kafkaClient.js';
import { inboundCommands } from './bridges/kafka/inboundCommands.js';
import { postgresLagCounter, storeLagCounter } from './subscriptions/lag.js';
import { outboundBacklog } from './bridges/kafka/outbound.js';
import { createApiKeyVerifier } from './access/apiKeys.js';
import { createTokenVerifier } from './access/tokens.js';
import { createCommandHandler } from './commands/handler.js';
import { stageSetOf } from './commands/load.js';
import { type Config, hsSecretOf } from './config.js';
import { resolveDatabase } from './db/connect.js';
import { superviseEmbedded } from './db/superviseEmbedded.js';
import { createDb, migrateLatest } from './db/knex.js';
import { createEventStoreDbStore } from './eventstore/esdb/store.js';
import { formatPosition } from './eventstore/port.js';
import { type PostgresEventStore, createPostgresEventStore } from './eventstore/postgres/store.js';
import { createHttpApp } from './http/app.js';
import { awaitReadModel } from './http/consistency.js';
import { createRateLimiter } from './http/rateLimit.js';
import { projections } from './projections/index.js';
import { teamsProjection } from './projections/teams.js';
import { createProjectionRunner } from './projections/runner.js';
import { workflows } from './workflows/index.js';
import { createWorkflowRunner } from './workflows/runner.js';
import { startSegmentSchedule } from './workflows/segmentSchedule.js';
import { createLeases } from './subscriptions/leases.js';
import { readSubscriptions } from './subscriptions/readings.js';
import type { Logger } from './shared/logger.js';
import { guardPool, pgOptions } from './db/pgOptions.js';
import { startingResponder } from './http/starting.js';
import { closableServer } from './http/server.js';
import { requestClasses } from './http/requestPrototypes.js';
import { instrumentEventStore } from './observability/instrumentedStore.js';
import { personalDataLayer } from './privacy/layer.js';
import { finishErasures } from './commands/erasures.js';
import { type Metrics, createMetrics, knexPoolUsage, pgPoolUsage } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';

export const VERSION = '0.1.0';

/** How long a workflow waits for a read model to show its trigger before it retries the batch. */
const WORKFLOW_READ_WAIT_MS = 10_000;

export interface RunningApp {
  readonly url: string;
  readonly server: Server;
  /** The read models' database, for diagnostics (a test counts the statements a query costs). */
  readonly db: Knex;
  /** This app's metrics (its own registry), as GET /metrics shows them. */
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

/**
 * The composition root: PostgreSQL (embedded unless DATABASE_URL), migrations, the event store
 * (PostgreSQL unless EVENTSTORE_URL), the projection runner, the Kafka bridge (when
 * KAFKA_BROKERS is set) and the HTTP API.
 */
export interface StartOptions {
  /** Something the service cannot recover from by itself (the embedded PostgreSQL will not restart). */
  readonly onFatal?: (err: Error) => void;
}

export async function startApp(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningApp> {
  const metrics = createMetrics();
  const tracing = startTracing({
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
    ...(config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { tracesEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {}),
    serviceName: config.OTEL_SERVICE_NAME,
    serviceVersion: VERSION,
  });
  if (tracing.enabled) log.info('tracing', { exporter: 'otlp/http', service: config.OTEL_SERVICE_NAME });

  // The port opens first: alive but not ready while PostgreSQL starts and migrations run.
  let phase = 'connecting to the database';
  let handler: RequestListener = startingResponder(() => phase);
  const classes = requestClasses();
  const { server, close: closeServer } = closableServer((req, res) => handler(req, res), config.HTTP_KEEP_ALIVE_TIMEOUT_MS, classes);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, () => resolve());
    });
  } catch (err) {
    await tracing.shutdown();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  log.info('listening', { url, port });

  try {
    const started = await compose(config, log, metrics, options, (p) => (phase = p));
    classes.adopt(started.app);
    handler = started.app;
    log.info('ready', { url });
    let stopping: Promise<void> | undefined;
    return {
      url,
      server,
      db: started.db,
      metrics,
      stop() {
        stopping ??= (async () => {
          await closeServer();
          await started.stop();
          await tracing.shutdown();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await closeServer();
    await tracing.shutdown();
    throw err;
  }
}

/** Everything behind the port: the database, migrations, the store, projections, Kafka, the HTTP app. */
async function compose(
  config: Config,
  log: Logger,
  metrics: Metrics,
  options: StartOptions,
  setPhase: (phase: string) => void,
): Promise<{ app: Express; db: Knex; stop(): Promise<void> }> {
  const { url: databaseUrl, embedded } = await resolveDatabase(config, log);
  let stopped = false;
  embedded?.onUnexpectedExit((exit) => void superviseEmbedded(embedded, exit, log, () => stopped, options.onFatal));
  const timeouts = { connectMs: config.DATABASE_TIMEOUT_MS, queryMs: config.DATABASE_QUERY_TIMEOUT_MS };
  const db = createDb(databaseUrl, 20, { timeouts, log });
  setPhase('running migrations');
  const applied = await migrateLatest(db);
  if (applied.length) log.info('migrations applied', { migrations: applied });
  setPhase('starting projections');
  metrics.watchPool('read_models', knexPoolUsage(db));

  // The PostgreSQL store gets a pool of ours so that its usage can be reported.
  const storePool = config.EVENTSTORE_URL ? undefined : guardPool(new pg.Pool({ ...pgOptions(databaseUrl, timeouts), max: 20 }));
  if (storePool) metrics.watchPool('event_store', pgPoolUsage(storePool));
  const postgresStore = (store: PostgresEventStore) => {
    metrics.watchTailPause(store.tailPause);
    return store;
  };
  // Personal data is sealed per data subject above the adapter (DESIGN §13); integrity checks read beneath.
  const { store, storedLog, vault } = personalDataLayer(
    instrumentEventStore(
      config.EVENTSTORE_URL ? createEventStoreDbStore(config.EVENTSTORE_URL) : postgresStore(createPostgresEventStore({ connection: storePool!, timeouts, log })),
      metrics,
    ),
    db,
    { current: config.PRIVACY_MASTER_KEY, previous: config.PRIVACY_MASTER_KEY_PREVIOUS },
    (event, subject) => log.error('personal data that does not open with its key: run verify', { stream: event.streamId, revision: event.revision.toString(), subject }),
  );
  log.info('event store', { kind: config.EVENTSTORE_URL ? 'eventstoredb' : 'postgresql' });

  // Every instance serves commands and queries; each subscription runs on one at a time (§12).
  // A pool of its own: a renewal must not queue behind busy read-model queries past its lease.
  const leaseDb = createDb(databaseUrl, 2, { timeouts, log });
  const leases = createLeases(leaseDb, log, {
    ttlMs: config.SUBSCRIPTION_LEASE_TTL_MS,
    onChange: (subscription, change) => metrics.subscriptionLeadershipChanges.inc({ subscription, change }),
  });
  log.info('instance', { holder: leases.holder });
  const runner = createProjectionRunner({ store, db, projections, log, leases });
  runner.start();
  const execute = createCommandHandler({ store, metrics });
  // Workflows (seed 003's process managers) follow the log like projections, under leases.
  const stageSetFor = (tenantId: string) => stageSetOf(store, tenantId);
  const workflowRunner = createWorkflowRunner({
    store,
    db,
    execute,
    log,
    leases,
    workflows,
    stageSetFor,
    projectionReached: async (projection, position) => (await runner.waitFor(projection, position, WORKFLOW_READ_WAIT_MS)) === 'reached',
  });
  await workflowRunner.start();
  // Fail fast on a master key that cannot unwrap the stored subject keys (rather than 500s later);
  // then finish erasures a crash interrupted between destroying keys and writing their events.
  await vault.checkKeys();
  void finishErasures({ store, db, execute, stageSetFor, storedLog, vault })
    .then((n) => n > 0 && log.info('interrupted erasures finished', { subjects: n }))
    .catch((err: unknown) => log.error('finishing interrupted erasures failed; a repeated erasure request finishes them', { error: String(err) }));
  const segmentSchedule = startSegmentSchedule({ store, db, execute, log, leases, intervalMs: config.SEGMENT_EVALUATION_INTERVAL_MS });

  // The Kafka bridge: idle without KAFKA_BROKERS; the log is the outbox and its backlog waits.
  const lagCounter = config.EVENTSTORE_URL ? storeLagCounter(store) : postgresLagCounter(db);
  const bridge = config.KAFKA_BROKERS
    ? createKafkaBridge({
        client: await loadKafkaClient(), // not loaded at all without KAFKA_BROKERS
        brokers: parseBrokers(config.KAFKA_BROKERS),
        topics: config.kafkaTopics,
        clientId: config.KAFKA_CLIENT_ID,
        store,
        db,
        log,
        metrics,
        lagCounter,
        leases,
        ...inboundCommands({ store, db, execute, stageSetFor, storedLog, vault }),
      })
    : undefined;
  bridge?.start();
  metrics.watchSubscriptions(() => readSubscriptions({ store, db, lagCounter }, [...runner.subscriptions(), ...workflowRunner.subscriptions(), ...(bridge?.subscriptions() ?? [])]));
  log.info('kafka bridge', bridge ? { brokers: config.KAFKA_BROKERS } : { state: 'idle: KAFKA_BROKERS unset' });
  const kafkaHealth = async () =>
    bridge ? { configured: true, ...(await bridge.status()) } : { configured: false, outbound: await outboundBacklog(db, lagCounter) };

  if (config.usingDevJwtSecret) {
    log.warn('JWT_SECRET and JWT_JWKS_URL unset: tokens use the development secret; serving on loopback only');
  }
  const hsSecret = hsSecretOf(config);
  const verifyToken = createTokenVerifier({
    ...(hsSecret ? { hsSecret } : {}),
    ...(config.JWT_JWKS_URL ? { jwksUrl: config.JWT_JWKS_URL } : {}),
    ...(config.JWT_ALGORITHMS ? { jwksAlgorithms: config.JWT_ALGORITHMS } : {}),
    jwksCacheMaxAgeMs: config.JWT_JWKS_CACHE_MAX_AGE_MS,
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
    claims: { tenant: config.JWT_CLAIM_TENANT, user: config.JWT_CLAIM_USER, roles: config.JWT_CLAIM_ROLES },
  });
  const rateLimiter = createRateLimiter(
    databaseUrl,
    {
      perUserPerMinute: config.RATE_LIMIT_PER_MINUTE,
      perUserPerSecond: config.RATE_LIMIT_BURST_PER_SECOND,
      globalPerMinute: config.RATE_LIMIT_GLOBAL_PER_MINUTE,
    },
    timeouts,
  );
  metrics.watchPool('rate_limits', () => rateLimiter.connections());

  const app = createHttpApp({
    db,
    store,
    execute,
    runner,
    log,
    metrics,
    auth: {
      verifyToken,
      apiKeys: createApiKeyVerifier({ store, db }),
      db,
      rateLimiter,
      metrics,
      teamsCaughtUp: (req, res) => awaitReadModel(req, res, runner, teamsProjection.name, config.MAX_CONSISTENCY_WAIT_MS),
    },
    stageSetFor,
    storedLog,
    vault,
    maxConsistencyWaitMs: config.MAX_CONSISTENCY_WAIT_MS,
    version: VERSION,
    trustProxy: config.TRUST_PROXY,
    ready: async () => void (await db.raw('select 1')),
    health: async () => {
      try {
        await db.raw('select 1');
        return {
          status: 'ok',
          version: VERSION,
          event_store_head: formatPosition(await store.headPosition()),
          instance: leases.holder,
          subscriptions: Object.fromEntries([...(await leases.holders())].map(([name, h]) => [name, h.holder])),
          kafka: await kafkaHealth(),
          workflows: workflowRunner.status().map((w) => ({ ...w, checkpoint: formatPosition(w.checkpoint) })),
        };
      } catch (err) {
        return { status: 'degraded', version: VERSION, error: err instanceof Error ? err.message : String(err) };
      }
    },
  });

  return {
    app,
    db,
    async stop() {
      stopped = true;
      // Together: a publisher stuck on an unreachable broker must not hold the projections back.
      await Promise.all([bridge?.stop(), runner.stop(), workflowRunner.stop(), segmentSchedule.stop()]);
      await leases.stop();
      await leaseDb.destroy();
      await rateLimiter.close();
      await store.close();
      await storePool?.end();
      await db.destroy();
      await embedded?.stop();
    },
  };
}
