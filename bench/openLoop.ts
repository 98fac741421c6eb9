/**
 * The open-loop generator of W2's fixed rate and of its floor (floor.ts): `rate` requests a second
 * on a fixed schedule whatever the answers, each latency counted from its scheduled instant, so
 * that a slow answer cannot hold back the requests behind it (no coordinated omission).
 */

/** A status other than 200, a slot not sent, or a request that failed (by its error code). */
export type Failures = Map<number | string, number>;

export const count = (failures: Failures, status: number | string) => {
  if (status !== 200) failures.set(status, (failures.get(status) ?? 0) + 1);
};

export const failed = (err: unknown) => `failed (${(err as { code?: unknown } | null)?.code ?? String(err)})`;

export const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface OpenLoopResult {
  /** Of the answered requests, in the order they were answered. */
  readonly latencies: number[];
  /** How late the generator itself sent each request (its own event loop, on the same cores). */
  readonly sentLate: number[];
  readonly failures: Failures;
  readonly seconds: number;
  /** The slots scheduled. */
  readonly total: number;
}

export async function openLoop(rate: number, seconds: number, send: () => Promise<number>, onTick?: (elapsedMs: number) => void): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  const sentLate: number[] = [];
  const failures: Failures = new Map();
  const interval = 1000 / rate;
  const total = Math.round(seconds * rate);
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  let pending = 0;
  let lastTick = 0;
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    // Past twice the rate in flight the service is over capacity: the slot is counted, not sent,
    // so that the phase ends on time (and the figure says so).
    if (pending >= 2 * rate) {
      count(failures, 'not sent (over capacity)');
      continue;
    }
    pending++;
    sentLate.push(performance.now() - due);
    inFlight.push(
      send().finally(() => pending--).then(
        (status) => {
          count(failures, status);
          latencies.push(performance.now() - due);
        },
        (err: unknown) => count(failures, failed(err)),
      ),
    );
    if (inFlight.length > 10_000) await Promise.all(inFlight.splice(0));
    if (onTick && due - t0 - lastTick >= 30_000) onTick((lastTick = due - t0));
  }
  await Promise.all(inFlight);
  return { latencies, sentLate, failures, seconds: (performance.now() - t0) / 1000, total };
}
