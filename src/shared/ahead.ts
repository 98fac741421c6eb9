/**
 * `work` over `items`, up to `window` of them running at once ahead of the one the caller is at,
 * the results yielded in the items' order. What runs ahead only starts; a rejection surfaces when
 * the caller reaches it (and nowhere if it stops before), as if the work had run one by one.
 */
export async function* aheadInOrder<T, R>(items: readonly T[], work: (item: T) => Promise<R>, window: number): AsyncGenerator<R> {
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
  for (let i = 0; i < items.length; i++) {
    const result = await started[i]!;
    if (i + window < items.length) start(i + window);
    yield result;
  }
}
