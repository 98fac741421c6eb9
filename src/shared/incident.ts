import type { LogFields, Logger } from './logger.js';

/**
 * One log line per outage, not one per retry: the first failure of a streak is an error, the
 * retries that fail the same way are debug lines, and the first success after a streak says
 * how long it lasted. For loops that retry on their own (projections, the Kafka outbound, the
 * LISTEN wake-up) and for requests that meet an unreachable database.
 */
export interface Incident {
  fail(err: unknown, fields?: LogFields): void;
  recover(fields?: LogFields): void;
  readonly failing: boolean;
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * A success within `settleMs` of the last failure does not end the incident: a database coming
 * back answers some connections and not yet others, and that is one outage, not several.
 */
export function incident(log: Logger, what: string, base: LogFields = {}, settleMs = 2000): Incident {
  let since: number | undefined;
  let lastFailure = 0;
  let failures = 0;
  return {
    fail(err, fields = {}) {
      failures++;
      lastFailure = Date.now();
      if (since === undefined) {
        since = Date.now();
        log.error(`${what} failed; retrying`, { ...base, ...fields, error: errorText(err) });
      } else {
        log.debug(`${what} still failing`, { ...base, ...fields, error: errorText(err), attempts: failures });
      }
    },
    recover(fields = {}) {
      if (since === undefined || Date.now() - lastFailure < settleMs) return;
      log.info(`${what} recovered`, { ...base, ...fields, down_ms: Date.now() - since, failed_attempts: failures });
      since = undefined;
      failures = 0;
    },
    get failing() {
      return since !== undefined;
    },
  };
}
