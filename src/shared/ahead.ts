/**
 * `work` over `items`, up to `window` of them running at once ahead of the one the caller is at,
 * the results yielded in the items' order. A rejection surfaces when the caller reaches it, as if
 * the work had run one by one. A caller that stops early (a break, a throw) gets control back once
 * what already started has settled, so none of it outlives the loop.
 */
export async function* aheadInOrder<T, R>(items: readonly T[], work: (item: T) => Promise<R>, window: number): AsyncGenerator<R> {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`aheadInOrder needs a window of at least 1, not ${window}`);
  const started: Promise<R>[] = [];
  const start = (i: number) => {
    let p: Promise<R>;
    try {
      p = work(items[i]!);
    } catch (err) {
      p = Promise.reject(err as Error);
    }
    p.catch(() => undefined); // reported when reached, not as unhandled meanwhile
    started.push(p);
  };
  for (let i = 0; i < Math.min(window, items.length); i++) start(i);
  let next = 0;
  try {
    for (; next < items.length; next++) {
      const result = await started[next]!;
      if (next + window < items.length) start(next + window);
      yield result;
    }
  } finally {
    await Promise.allSettled(started.slice(next + 1));
  }
}
