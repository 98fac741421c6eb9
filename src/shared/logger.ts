import { pino, type DestinationStream } from 'pino';
import { currentRequest } from '../observability/requestContext.js';

/**
 * JSON lines through pino (debug and info on stdout, warn and error on stderr, so that a tool's
 * own output on stdout stays clean): one object per line with `time` (ISO), `level` (its name), `msg`, the
 * logger's base fields, the request's ids, tenant and user when logged while serving one, and
 * the call's fields. Credentials and personal data are redacted (REDACTED_PATHS).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export const REDACTION = '[REDACTED]';

// pino's redaction works on paths, not on every nested key: the top level and two levels down
// cover the fields we log (headers, bodies, records, configs).
const SENSITIVE_KEYS = [
  'authorization',
  'x-api-key',
  'apiKey',
  'api_key',
  'cookie',
  'set-cookie',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'JWT_SECRET',
  // Personal data sits in one marked sub-object of a payload (DESIGN §9), and leads flatten it.
  'personalData',
  'personal_data',
  'email',
  'phone',
  'first_name',
  'last_name',
  'firstName',
  'lastName',
];

const step = (k: string) => (/^\w+$/.test(k) ? `.${k}` : `["${k}"]`);
export const REDACTED_PATHS = SENSITIVE_KEYS.flatMap((k) => [step(k).replace(/^\./, ''), `*${step(k)}`, `*.*${step(k)}`]);

export function createLogger(level: Level | 'silent' = 'info', base: LogFields = {}, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: REDACTION },
      mixin: () => ({ ...currentRequest() }),
    },
    destination ?? standardStreams(),
  );
  return {
    debug: (m, f) => logger.debug(f ?? {}, m),
    info: (m, f) => logger.info(f ?? {}, m),
    warn: (m, f) => logger.warn(f ?? {}, m),
    error: (m, f) => logger.error(f ?? {}, m),
  };
}

/** debug and info to stdout, warn and error to stderr (dedupe: each line to one of them), written synchronously. */
function standardStreams(): DestinationStream {
  return pino.multistream(
    [
      { level: 'debug', stream: pino.destination({ dest: 1, sync: true }) },
      { level: 'warn', stream: pino.destination({ dest: 2, sync: true }) },
    ],
    { dedupe: true },
  );
}
