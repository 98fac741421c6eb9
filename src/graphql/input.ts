import type { z } from 'zod';
import { inputError } from './errors.js';

/**
 * GraphQL inputs are parsed by the REST request schemas (src/http/requests): the same fields,
 * snake_cased, so every input rule (money, dates, ids, lengths) is written once. An explicit
 * null is an absent optional field, as GraphQL clients send them.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: Readonly<Record<string, unknown>>, at: string): z.output<S> {
  const snake = Object.fromEntries(
    Object.entries(input)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  );
  const parsed = schema.safeParse(snake);
  if (!parsed.success) throw inputError(parsed.error, at);
  return parsed.data;
}
