import { type RunningApp, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { type TokenIdentity as Identity, mintToken } from '../../src/access/tokens.js';
import { type Logger, createLogger } from '../../src/shared/logger.js';
import { type TestDatabase, freshDatabase } from './postgres.js';

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export interface TestApp {
  readonly url: string;
  readonly app: RunningApp;
  readonly database: TestDatabase;
  token(identity?: Partial<Identity>): Promise<string>;
  /** fetch against the app with a bearer token for `identity` (tenant-001 / user-200 / admin by default). */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  stop(): Promise<void>;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Sent as is (for malformed JSON); wins over body. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly identity?: Partial<Identity>;
  /** false: no Authorization header at all. */
  readonly auth?: boolean;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  // Tests read fields freely; the API's shapes are asserted by the tests themselves.
  readonly body: any;
}

/**
 * The service for one describe block: started before its tests, stopped after them. The tests
 * read `suite.app` (set once the hook has run).
 */
export function appPerSuite(env: Record<string, string> = {}): { readonly app: TestApp } {
  const suite = {} as { app: TestApp };
  before(async function () {
    this.timeout(60_000);
    suite.app = await startTestApp(env);
  });
  after(async function () {
    this.timeout(60_000);
    await suite.app?.stop();
  });
  return suite;
}

/** The real service (HTTP, projections, PostgreSQL event store) on a fresh database and a free port. */
export async function startTestApp(env: Record<string, string> = {}, options: { log?: Logger } = {}): Promise<TestApp> {
  const database = await freshDatabase('api');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    // On, but out of the way of suites that send bursts; the rate-limit suite sets its own.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST_PER_SECOND: '100000',
    ...env,
  });
  const app = await startApp(config, options.log ?? createLogger('silent'));
  const token = (identity: Partial<Identity> = {}) =>
    mintToken(TEST_JWT_SECRET, {
      tenantId: identity.tenantId ?? 'tenant-001',
      userId: identity.userId ?? 'user-200',
      // Suites about the domain act as an admin; the access suites say who they are.
      roles: identity.roles ?? ['admin'],
    });
  return {
    url: app.url,
    app,
    database,
    token,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.auth !== false) headers.authorization ??= `Bearer ${await token(options.identity)}`;
      let body: string | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${app.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async stop() {
      await app.stop();
      await database.drop();
    },
  };
}
