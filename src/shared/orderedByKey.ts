/**
 * Jobs that may run at once unless they share a key: a key's jobs run one after another in the
 * order added, and at most `limit` are running or waiting for their key. Once one fails, no
 * further job starts (`add` throws that failure, a job waiting for its key is dropped) and
 * `done` throws it after everything started has settled.
 */
export function orderedByKey(limit: number) {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`orderedByKey needs a limit of at least 1, not ${limit}`);
  const tails = new Map<string, Promise<void>>();
  const running = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  return {
    /** Starts `job` after the key's earlier jobs, once fewer than `limit` are running. */
    async add(key: string, job: () => Promise<void>): Promise<void> {
      while (running.size >= limit && !failure) await Promise.race(running);
      if (failure) throw failure.error;
      // A job waiting for its key's earlier one does not start once anything failed.
      const run = (tails.get(key) ?? Promise.resolve()).then(() => (failure ? undefined : job())).then(
        () => undefined,
        (error: unknown) => void (failure ??= { error }),
      );
      tails.set(key, run);
      running.add(run);
      void run.then(() => {
        running.delete(run);
        if (tails.get(key) === run) tails.delete(key);
      });
    },
    /** Waits for every job added; then the first failure, if any, is thrown. */
    async done(): Promise<void> {
      while (running.size > 0) await Promise.all([...running]);
      if (failure) throw failure.error;
    },
  };
}
