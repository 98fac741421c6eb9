/** Exponential backoff shared by the bridge's retry loops. */
export interface BackoffOptions {
  readonly initialMs?: number;
  /** Cap: a broker back after an outage is picked up within this long. */
  readonly maxMs?: number;
}

export class Backoff {
  private delay: number;
  private readonly initial: number;
  private readonly max: number;

  constructor(opts: BackoffOptions = {}) {
    this.initial = opts.initialMs ?? 200;
    this.max = opts.maxMs ?? 10_000;
    this.delay = this.initial;
  }

  reset(): void {
    this.delay = this.initial;
  }

  /** Waits the current delay (cut short by `signal`), then doubles it up to the cap. */
  async wait(signal?: AbortSignal): Promise<void> {
    const ms = this.delay;
    this.delay = Math.min(this.delay * 2, this.max);
    await sleep(ms, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
