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
  /** PUT requests answered within each bucket's bound (seconds), cumulative, from its request-duration histogram. */
  readonly putsWithin: ReadonlyMap<number, number>;
  /** The same for commands done (load, decide, append), and for appends. */
  readonly commandsWithin: ReadonlyMap<number, number>;
  readonly appendsWithin: ReadonlyMap<number, number>;
}

const value = (text: string, metric: string) => Number(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

export async function scrapeService(base: string): Promise<ServiceSnapshot> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const gcSeconds = new Map<string, number>();
  for (const m of text.matchAll(/^crm_nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)$/gm)) gcSeconds.set(m[1]!, Number(m[2]));
  const within = (histogram: string, labels: RegExp) => {
    const counts = new Map<number, number>();
    for (const m of text.matchAll(new RegExp(`^${histogram}_bucket\\{(.*)\\} (\\S+)$`, 'gm'))) {
      const le = /le="([^"]+)"/.exec(m[1]!)?.[1];
      if (!labels.test(m[1]!) || !le || le === '+Inf') continue;
      counts.set(Number(le), (counts.get(Number(le)) ?? 0) + Number(m[2]));
    }
    return counts;
  };
  return {
    putsWithin: within('crm_http_request_duration_seconds', /method="PUT"/),
    commandsWithin: within('crm_command_duration_seconds', /outcome="ok"/),
    appendsWithin: within('crm_eventstore_append_duration_seconds', /outcome="ok"/),
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

/**
 * The share of the phase's stage changes done within 5, 10 and 25 ms: as the bench timed them
 * (from the scheduled instant), as the service's HTTP layer did (first middleware to response),
 * its command handler (load, decide, append) and its appends. Where the shares part is where
 * the slow requests spent their time.
 */
export function describeWhere(before: ServiceSnapshot, after: ServiceSnapshot, latencies: readonly number[]): string {
  const shares = (name: string, of: (s: ServiceSnapshot) => ReadonlyMap<number, number> | undefined) => {
    const at = (le: number) => (of(after)?.get(le) ?? NaN) - (of(before)?.get(le) ?? 0);
    const all = at(Math.max(...(of(after)?.keys() ?? []))); // the widest finite bucket
    return `${name} ${[0.005, 0.01, 0.025].map((le) => ((100 * at(le)) / all).toFixed(1)).join(' / ')} %`;
  };
  const bench = [5, 10, 25].map((ms) => ((100 * latencies.filter((l) => l <= ms).length) / Math.max(1, latencies.length)).toFixed(1));
  return [`within 5 / 10 / 25 ms: the bench ${bench.join(' / ')} %`, shares('HTTP', (s) => s.putsWithin), shares('command', (s) => s.commandsWithin), shares('append', (s) => s.appendsWithin)].join(', ');
}
