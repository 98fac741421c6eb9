import { Backoff, type BackoffOptions } from '../../shared/backoff.js';
import { incident } from '../../shared/incident.js';
import type { Logger } from '../../shared/logger.js';

/** Thrown by retryInPlace once the loop it serves is stopping. */
export class Stopped extends Error {}

export interface RetryInPlace {
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly backoff?: BackoffOptions;
  /** Told of every failure that is retried (the status's lastError). */
  readonly onFailure: (err: unknown) => void;
}

/**
 * Retries `f` with capped backoff until it succeeds or `signal` aborts (then throws Stopped):
 * the inbound's answer to a database or broker outage, since skipping would lose the effect.
 * A `permanent` failure is thrown at once instead (the caller dead-letters it).
 */
export async function retryInPlace<T>(
  r: RetryInPlace,
  what: string,
  f: () => Promise<T>,
  permanent: (err: unknown) => boolean = () => false,
): Promise<T> {
  const backoff = new Backoff(r.backoff);
  const outage = incident(r.log, `kafka inbound: ${what}`);
  for (;;) {
    if (r.signal.aborted) throw new Stopped();
    try {
      const result = await f();
      outage.recover();
      return result;
    } catch (err) {
      if (permanent(err)) throw err;
      r.onFailure(err);
      outage.fail(err);
      await backoff.wait(r.signal);
    }
  }
}
