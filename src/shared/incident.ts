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

export function incident(log: Logger, what: string, base: LogFields = {}): Incident {
  let since: number | undefined;
  let failures = 0;
  return {
    fail(err, fields = {}) {
      failures++;
      if (since === undefined) {
        since = Date.now();
        log.error(`${what} failed; retrying`, { ...base, ...fields, error: errorText(err) });
      } else {
        log.debug(`${what} still failing`, { ...base, ...fields, error: errorText(err), attempts: failures });
      }
    },
    recover(fields = {}) {
      if (since === undefined) return;
      log.info(`${what} recovered`, { ...base, ...fields, down_ms: Date.now() - since, failed_attempts: failures });
      since = undefined;
      failures = 0;
    },
    get failing() {
      return since !== undefined;
    },
  };
}
