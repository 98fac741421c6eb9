import { EventEmitter } from 'node:events';

/**
 * How live subscriptions of one store learn of appends: woken on each commit (LISTEN), polling
 * every `pollMs` regardless. Wake-ups are counted, so one that came while a subscriber was busy
 * with its last batch is not lost: it would otherwise wait for the next poll before reading.
 */
export interface Wakeups {
  /** An append committed (or the store closes): every waiting subscriber reads again. */
  wake(): void;
  /** How many wake-ups so far: taken before a read, handed back to `wait`. */
  count(): number;
  /**
   * Resolves with the instant the next page must be fresh as of: the wake-up's, now after a
   * poll (every `pollMs`), or when it began waiting after a shorter `timeoutMs` (a retry).
   */
  wait(signal: AbortSignal | undefined, seen: number, timeoutMs?: number): Promise<number>;
}

export function createWakeups(pollMs: number): Wakeups {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let lastWakeAt = performance.now();
  let woken = 0;
  return {
    wake() {
      lastWakeAt = performance.now();
      woken++;
      emitter.emit('append');
    },
    count: () => woken,
    wait(signal, seen, timeoutMs = pollMs) {
      if (woken !== seen || signal?.aborted) return Promise.resolve(lastWakeAt);
      const startedAt = performance.now();
      // A short retry (a page held below an append) is no poll: any read begun since it started
      // waiting will do, so the subscribers retrying together share the tail's reads.
      const retry = timeoutMs < pollMs;
      return new Promise((resolve) => {
        const done = (byWake: boolean) => {
          clearTimeout(timer);
          emitter.off('append', onWake);
          signal?.removeEventListener('abort', onAbort);
          resolve(byWake ? lastWakeAt : retry ? startedAt : performance.now());
        };
        const onWake = () => done(true);
        const onAbort = () => done(false);
        const timer = setTimeout(done, Math.min(timeoutMs, pollMs), false);
        emitter.on('append', onWake);
        signal?.addEventListener('abort', onAbort);
      });
    },
  };
}
