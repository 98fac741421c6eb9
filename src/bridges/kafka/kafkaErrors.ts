/** Errors of @platformatic/kafka, which nests causes several levels deep. */
/** The library nests the cause of a failure (often several levels deep): one readable line, cause kept. */
export function plainError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const parts: string[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!(e instanceof Error) || depth > 4) return;
    const text = e.message.replace(/\.$/, '');
    if (text && !parts.includes(text)) parts.push(text);
    if (e instanceof AggregateError) for (const inner of e.errors.slice(0, 3)) walk(inner, depth + 1);
    walk(e.cause, depth + 1);
  };
  walk(err, 0);
  return new Error(parts.join(': ').slice(0, 1_000), { cause: err });
}

export function hasKafkaError(err: unknown, apiId: string): boolean {
  const seen = (e: unknown, depth: number): boolean => {
    if (!(e instanceof Error) || depth > 4) return false;
    if ((e as { apiId?: unknown }).apiId === apiId) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => seen(inner, depth + 1))) return true;
    return seen(e.cause, depth + 1);
  };
  return seen(err, 0);
}
