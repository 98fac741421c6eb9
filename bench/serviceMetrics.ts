/**
 * What the service says about itself over a phase (its /metrics, prom-client's default metrics):
 * how long its event loop was held up, and how much of the phase went to garbage collection.
 * The event loop's percentiles are since the last scrape (prom-client resets them on each), so
 * a scrape at the start of a phase and one at its end cover the phase.
 */
export interface ServiceSnapshot {
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Seconds of GC pauses since the service started, by kind (minor, major, incremental, weakcb). */
  readonly gcSeconds: ReadonlyMap<string, number>;
}

const value = (text: string, metric: string) => Number(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

export async function scrapeService(base: string): Promise<ServiceSnapshot> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const gcSeconds = new Map<string, number>();
  for (const m of text.matchAll(/^crm_nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)$/gm)) gcSeconds.set(m[1]!, Number(m[2]));
  return {
    lagP50Ms: value(text, 'crm_nodejs_eventloop_lag_p50_seconds') * 1000,
    lagP99Ms: value(text, 'crm_nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: value(text, 'crm_nodejs_eventloop_lag_max_seconds') * 1000,
    gcSeconds,
  };
}

/** prom-client's event-loop monitor samples with a 10 ms timer: its figures include those 10 ms. */
const TIMER_MS = 10;

/** One line: how long the event loop was held up over the phase, and its GC pauses per second of it. */
export function describePhase(before: ServiceSnapshot, after: ServiceSnapshot, seconds: number): string {
  const gc = [...after.gcSeconds]
    .map(([kind, s]) => [kind, ((s - (before.gcSeconds.get(kind) ?? 0)) * 1000) / seconds] as const)
    .filter(([, ms]) => ms >= 0.05)
    .map(([kind, ms]) => `${kind} ${ms.toFixed(1)}`)
    .join(', ');
  const late = (ms: number) => Math.max(0, ms - TIMER_MS).toFixed(1);
  return `event loop held up p50 ${late(after.lagP50Ms)}, p99 ${late(after.lagP99Ms)}, max ${late(after.lagMaxMs)} ms; GC pauses ms a second: ${gc || 'none'}`;
}
