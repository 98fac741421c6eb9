import express, { type Express } from 'express';
import helmet from 'helmet';
import type { StageSet } from '../aggregates/pipelineStage/stages.js';
import { type EventStore, formatPosition } from '../eventstore/port.js';
import type { SubjectVault } from '../privacy/subjects.js';
import type { ProjectionRunner } from '../projections/runner.js';
import type { Logger } from '../shared/logger.js';
import { type AuthDeps, authenticate } from './auth.js';
import type { CommandRouteDeps } from './commandReply.js';
import { mount } from './endpoint.js';
import { API_ENDPOINTS } from './endpoints/index.js';
import { errorHandler, sendError } from './errors.js';
import { losslessJsonBody } from './json.js';
import { errorText, incident } from '../shared/incident.js';
import { openApiDocument } from './openapi.js';
import { graphqlBody } from '../graphql/body.js';
import type { Metrics } from '../observability/metrics.js';
import { observeRequests, rejoinRequest } from './observe.js';
import { routeTemplates } from './routeTemplate.js';
import { createGraphQLHandler } from '../graphql/server.js';

export interface HttpDeps extends CommandRouteDeps {
  readonly runner: ProjectionRunner;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly auth: AuthDeps;
  readonly stageSetFor: (tenantId: string) => Promise<StageSet>;
  readonly storedLog: EventStore;
  readonly vault: SubjectVault;
  readonly maxConsistencyWaitMs: number;
  readonly health: () => Promise<Record<string, unknown>>;
  /** Resolves when the service can serve (its database answers); rejects with the reason. */
  readonly ready: () => Promise<void>;
  readonly version: string;
  /** Express's "trust proxy" setting: false, true, a hop count, or addresses/subnets. */
  readonly trustProxy?: string;
}

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  const database = incident(deps.log, 'database (requests)');
  app.disable('x-powered-by');
  app.set('etag', false); // ETags are stream revisions, set by the routes.
  app.set('query parser', 'simple');
  const trust = deps.trustProxy ?? 'false';
  app.set('trust proxy', trust === 'true' ? true : trust === 'false' ? false : /^\d+$/.test(trust) ? Number(trust) : trust);
  // Security headers on every response (helmet: maintained, and it tracks what browsers honour).
  app.use(helmet());

  app.use(observeRequests({ log: deps.log, metrics: deps.metrics, routeOf: routeTemplates(API_ENDPOINTS) }));
  app.use((req, res, next) => {
    res.on('finish', () => {
      // A success of /api touched the database: it is back.
      if (database.failing && res.statusCode >= 200 && res.statusCode < 300 && req.originalUrl.startsWith('/api/')) database.recover();
    });
    next();
  });

  const document = openApiDocument(API_ENDPOINTS, deps.version);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  // Liveness: the process answers. Readiness: it can serve, i.e. its database answers.
  app.get('/health/live', (_req, res) => {
    res.json({ status: 'alive' });
  });
  app.get('/health/ready', async (_req, res) => {
    try {
      await deps.ready();
      res.json({ status: 'ready' });
    } catch (err) {
      res.setHeader('Retry-After', '2');
      res.status(503).json({ status: 'not ready', reason: errorText(err) });
    }
  });
  // Prometheus scrapes without credentials, like the health checks: nothing here is per tenant.
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(await deps.metrics.registry.metrics());
  });
  app.get('/health', async (_req, res) => {
    const body = await deps.health();
    const projections = deps.runner.status().map((p) => ({ ...p, checkpoint: formatPosition(p.checkpoint) }));
    res.status(body.status === 'ok' ? 200 : 503).json({ ...body, projections });
  });

  const api = express.Router();
  api.use((_req, res, next) => {
    // Answers are per caller and change with every command: no shared or private cache may keep them.
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  api.use(authenticate(deps.auth));
  api.use(rejoinRequest);
  // Bodies are read as text and parsed losslessly (json.ts): money must not become a float.
  api.use(express.text({ type: ['application/json', 'application/*+json'], limit: '1mb' }));
  api.use((req, res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && hasBody && typeof req.body !== 'string') {
      return sendError(res, 'VALIDATION_ERROR', 'Content-Type must be application/json');
    }
    next();
  });
  api.use(losslessJsonBody);
  api.use(rejoinRequest);
  mount(api, '/api/v1', API_ENDPOINTS, deps);
  app.use('/api/v1', api);

  // GraphQL (seed 004): behind the same authentication and rate limits; errors in GraphQL's shape.
  const graphql = createGraphQLHandler(deps, deps.log);
  app.use(
    '/graphql',
    (_req: express.Request, res: express.Response, next: express.NextFunction) => {
      res.locals.graphql = true;
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
    authenticate(deps.auth),
    express.text({ type: ['application/json', 'application/*+json'], limit: '1mb' }),
    losslessJsonBody,
    graphqlBody,
    rejoinRequest,
    (req: express.Request, res: express.Response) => graphql(req, res, { req, res }),
  );

  app.use((req, res) => sendError(res, 'NOT_FOUND', `No route for ${req.method} ${req.path}`));
  app.use(errorHandler(deps.log, database));
  return app;
}
