/**
 * Whether an error means "the database cannot be reached right now" (refused, reset, shut down,
 * restarting, out of connections, timed out) rather than a fault of the request or of the code.
 * Such errors answer 503 with Retry-After, and loops retry them with backoff.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
// SQLSTATE class 08 (connection exception); 57P01-57P03 (shutdown, crash, cannot connect now);
// 57014 (a statement cancelled by its timeout); class 53 (out of connections, memory or disk);
// 40001/40P01 (serialization failure, deadlock: try again) and 55P03 (lock not available).
const SQLSTATE = /^(08...|57P0[1-3]|57014|53...|40001|40P01|55P03)$/;
const MESSAGES = [
  /Connection terminated/i,
  /Connection ended unexpectedly/i,
  /timeout exceeded when trying to connect/i,
  /Timeout acquiring a connection/i,
  /Query read timeout/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /Client has encountered a connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
];

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== 'object') break;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATE.test(code))) return true;
    // A Unix socket's file is gone while its server is down (DATABASE_URL with host=/run/postgresql).
    if (code === 'ENOENT' && (e as { syscall?: unknown }).syscall === 'connect') return true;
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
    // AggregateError (every address refused) and wrapped causes.
    const inner = (e as { errors?: unknown[] }).errors?.[0] ?? (e as { cause?: unknown }).cause;
    e = inner;
  }
  return false;
}

/**
 * Whether PostgreSQL refused a value the request carried (SQLSTATE class 22: a NUL character,
 * an invalid escape, a number out of range): the client's input, answered as VALIDATION_ERROR.
 */
export function isInvalidValue(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code);
}
