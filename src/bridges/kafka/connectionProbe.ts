import type { Admin, BaseOptions } from '@platformatic/kafka';
import type { Logger } from '../../shared/logger.js';

/**
 * Whether a broker answers, for /health: a metadata request every `everyMs` (2 s timeout, no
 * retries), and false at once when the probe's connection drops (a stopped broker closes it),
 * so an outage shows within about a second rather than when a send finally gives up.
 */
export function connectionProbe(AdminClient: typeof Admin, base: BaseOptions, everyMs: number, log: Logger): { connected(): boolean; close(): Promise<void> } {
  const admin = new AdminClient({ ...base, clientId: `${base.clientId}-probe`, retries: 0, timeout: 2_000, connectTimeout: 2_000 });
  let connected = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const set = (now: boolean, why: string) => {
    if (now !== connected) log.debug(`kafka connection probe: ${now ? 'a broker answers' : 'no broker answers'}`, { why });
    connected = now;
  };
  admin.on('client:broker:disconnect', () => set(false, 'connection closed'));
  admin.on('client:broker:failed', () => set(false, 'connection failed'));
  const tick = async (): Promise<void> => {
    try {
      await admin.metadata({ topics: [], forceUpdate: true });
      set(true, 'metadata');
    } catch (err) {
      set(false, err instanceof Error ? err.message : String(err));
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), everyMs);
      timer.unref(); // the probe alone must not keep a process alive
    }
  };
  const first = tick();
  return {
    connected: () => connected,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await first.catch(() => undefined);
      clearTimeout(timer);
      await admin.close().catch(() => undefined);
    },
  };
}
