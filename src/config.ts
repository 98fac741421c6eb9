import { z } from 'zod';
import { DEFAULT_CLAIMS } from './access/tokens.js';
import { type TopicConfig, resolveTopics } from './bridges/kafka/topics.js';

/**
 * Configuration is read once, from the environment, and validated here; nothing else reads
 * process.env. Every variable is optional: unset, the service runs on its embedded defaults.
 */
export const DEV_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

const list = z.string().transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean));

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(9402),
  /** Unset: 0.0.0.0 with a real JWT_SECRET, 127.0.0.1 (this machine only) with the development one. */
  HOST: z.string().min(1).optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** Where the embedded PostgreSQL keeps its cluster when DATABASE_URL is unset. */
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  DATABASE_NAME: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('chiroerp_crm_pipeline'),
  EVENTSTORE_URL: z.string().regex(/^(esdb|esdb\+discover):\/\//, 'must be an esdb:// connection string').optional(),
  KAFKA_BROKERS: z
    .string()
    .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, 'must be host:port[,host:port...]')
    .optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('crm-pipeline'),
  /** HS256 secret for bearer tokens. Unset and without JWKS: the development secret, loopback only. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** An identity provider's JWKS (RS256/ES256 tokens), e.g. https://idp.example.com/.well-known/jwks.json */
  JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Signature algorithms accepted from the JWKS; default RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384. */
  JWT_ALGORITHMS: list
    .refine((algs) => algs.length > 0 && algs.every((a) => /^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(a)), 'must be asymmetric JWS algorithms, e.g. RS256,ES256')
    .optional(),
  JWT_JWKS_CACHE_MAX_AGE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  /** Claim mapping: a claim name, or a dotted path such as realm_access.roles. */
  JWT_CLAIM_TENANT: z.string().min(1).default(DEFAULT_CLAIMS.tenant),
  JWT_CLAIM_USER: z.string().min(1).default(DEFAULT_CLAIMS.user),
  JWT_CLAIM_ROLES: z.string().min(1).default(DEFAULT_CLAIMS.roles),
  /**
   * Wraps each data subject's key (AES-256-GCM), base64 of 32 bytes: the local stand-in for a
   * KMS (src/privacy/keyWrapper.ts). Unset: keys are stored unwrapped in PostgreSQL.
   */
  PRIVACY_MASTER_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64 (openssl rand -base64 32)')
    .optional(),
  /** Earlier master keys, comma-separated: they still unwrap the keys they wrapped (a rotation). */
  PRIVACY_MASTER_KEY_PREVIOUS: list
    .refine((keys) => keys.every((v) => Buffer.from(v, 'base64').length === 32), 'each must be 32 bytes, base64')
    .optional(),
  /** Seed 004's limits; 0 switches one off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(1000),
  RATE_LIMIT_BURST_PER_SECOND: z.coerce.number().int().min(0).max(1_000_000).default(50),
  RATE_LIMIT_GLOBAL_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000_000).default(100_000),
  /**
   * How long an idle keep-alive connection stays open. Longer than a proxy's or client's own idle
   * timeout (HAProxy drops idle server connections after 5 s, load balancers commonly after 60 s):
   * with Node's default of 5 s, a proxy or keep-alive client reusing a connection just as the
   * service closes it gets a reset (ECONNRESET, a 502 through a proxy) for a request never seen.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(65_000),
  /** Express's "trust proxy": which proxies' X-Forwarded-For to believe (unauthenticated callers are limited per address). */
  TRUST_PROXY: z.string().min(1).default('false'),
  /** OpenTelemetry traces over OTLP/HTTP: the collector's base URL (traces go to <it>/v1/traces)... */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** ...or the full traces URL, which wins. Neither set: no tracing SDK at all. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('crm-pipeline'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Longest a request waits to connect to PostgreSQL (or for a free connection) before it answers 503. */
  DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** Longest one SQL statement may go unanswered (a partitioned server) before it fails. */
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(10_000),
  /** Longest a query may wait for its read model to reach a position (read-your-writes). */
  MAX_CONSISTENCY_WAIT_MS: z.coerce.number().int().min(0).max(60000).default(5000),
  /** How long a subscription lease lasts unrenewed: another instance takes over a dead holder's within this + 1 s. */
  SUBSCRIPTION_LEASE_TTL_MS: z.coerce.number().int().min(1000).max(60000).default(5000),
  /** How often every customer's segments are re-evaluated (time-based criteria); one instance runs it. */
  SEGMENT_EVALUATION_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(3_600_000),
});

export type Config = Omit<z.infer<typeof schema>, 'HOST'> & {
  readonly HOST: string;
  /** Neither JWT_SECRET nor JWT_JWKS_URL: tokens are HS256 with the development secret. */
  readonly usingDevJwtSecret: boolean;
  /** Topic names in effect: the documented ones, renamed by KAFKA_TOPIC_* variables. */
  readonly kafkaTopics: TopicConfig;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as a shell user would expect.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  let kafkaTopics: TopicConfig;
  try {
    kafkaTopics = resolveTopics(Object.fromEntries(Object.entries(cleaned).filter(([k]) => k.startsWith('KAFKA_TOPIC_'))));
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${err instanceof Error ? err.message : String(err)}`);
  }
  const usingDevJwtSecret = parsed.data.JWT_JWKS_URL === undefined && (parsed.data.JWT_SECRET ?? DEV_JWT_SECRET) === DEV_JWT_SECRET;
  // The development secret is in the repository: anyone could mint tokens with it. It is only
  // ever served on loopback.
  const loopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');
  if (usingDevJwtSecret && parsed.data.HOST !== undefined && !loopback(parsed.data.HOST)) {
    throw new ConfigError(`Invalid configuration:\n  HOST: ${parsed.data.HOST} needs JWT_SECRET or JWT_JWKS_URL to be set (the development secret is served on loopback only)`);
  }
  const HOST = parsed.data.HOST ?? (usingDevJwtSecret ? '127.0.0.1' : '0.0.0.0');
  return { ...parsed.data, HOST, usingDevJwtSecret, kafkaTopics };
}

/** The HS256 secret in effect: JWT_SECRET, the development one, or none (JWKS only). */
export function hsSecretOf(config: Config): string | undefined {
  return config.JWT_SECRET ?? (config.usingDevJwtSecret ? DEV_JWT_SECRET : undefined);
}
