/**
 * Coalescing of concurrent calls to the database (group commit; issue 14): at most
 * `maxInFlight` calls at once; items that arrive meanwhile wait and go together in the next
 * call. On two shared cores a statement's cost is mostly per call (the driver's round trip, the
 * wake-up of a backend, the commit), so a call of many items costs little more than a call of
 * one. Used by the event store's appends (W1) and by the rate limits' shared counts.
 *
 * - Idle (nothing in flight, nothing about to be sent), an item is sent at once, alone.
 * - When a call ends, what waits is sent on the next turn of the event loop (setImmediate),
 *   so that the callers it answered, who submit again at once, join that call rather than
 *   each taking a free slot alone.
 * - A key (a stream, a caller) is in at most one call at a time, and its items leave in
 *   arrival order: several of one key may share a call, which runs them in that order.
 * - `run` answers every item of its call (a settled result each) and never throws; a call's
 *   items are answered only when it ends, i.e. after its commit.
 */
export type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export interface CallGroupsOptions<T, R> {
  readonly maxInFlight: number;
  readonly maxGroup: number;
  readonly run: (items: readonly T[]) => Promise<readonly Settled<R>[]>;
}

interface Waiting<T, R> {
  readonly key: string;
  readonly item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export interface CallGroups<T, R> {
  submit(key: string, item: T): Promise<R>;
}

export function createCallGroups<T, R>(opts: CallGroupsOptions<T, R>): CallGroups<T, R> {
  let queue: Waiting<T, R>[] = [];
  const busyKeys = new Set<string>();
  let inFlight = 0;
  let pumpScheduled = false;

  function pump(): void {
    while (inFlight < opts.maxInFlight && queue.length > 0) {
      const group: Waiting<T, R>[] = [];
      const rest: Waiting<T, R>[] = [];
      const leftBehind = new Set<string>();
      for (const w of queue) {
        // A key in another call waits for it; once one item of a key stays behind, the later ones do too.
        if (group.length < opts.maxGroup && !busyKeys.has(w.key) && !leftBehind.has(w.key)) {
          group.push(w);
        } else {
          rest.push(w);
          leftBehind.add(w.key);
        }
      }
      if (group.length === 0) return;
      queue = rest;
      void send(group);
    }
  }

  async function send(group: Waiting<T, R>[]): Promise<void> {
    inFlight++;
    for (const w of group) busyKeys.add(w.key);
    let results: readonly Settled<R>[];
    try {
      results = await opts.run(group.map((w) => w.item));
    } catch (error) {
      results = group.map(() => ({ ok: false, error }) as const);
    }
    inFlight--;
    for (const w of group) busyKeys.delete(w.key);
    group.forEach((w, i) => {
      const r = results[i] ?? { ok: false, error: new Error('call group: no answer for an item') };
      if (r.ok) w.resolve(r.value);
      else w.reject(r.error);
    });
    schedulePump();
  }

  /** Scheduled even with nothing waiting: the callers just answered submit again meanwhile. */
  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  return {
    submit(key, item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ key, item, resolve, reject });
        // While a pump is scheduled, arrivals wait for it: they go together.
        if (!pumpScheduled) pump();
      });
    },
  };
}
