import type { RequestHandler } from 'express';
import { LosslessNumber, isSafeNumber, parse } from 'lossless-json';
import { sendError } from './errors.js';

/**
 * JSON bodies are parsed without passing numbers through floats: a safe integer becomes a
 * number, any other numeric literal stays a LosslessNumber holding its exact text, so
 * `"amount": 120000.00` reaches the money parser as "120000.00" and 1.005 is seen as three
 * decimals (and refused), not silently rounded.
 */
export function parseJsonLossless(text: string): unknown {
  return parse(text, null, (literal: string) =>
    /^-?\d+$/.test(literal) && isSafeNumber(literal) ? Number(literal) : new LosslessNumber(literal),
  );
}

export { LosslessNumber };

/** Deeper JSON than any request needs; deeper input could exhaust the stack of a recursive walk. */
export const MAX_JSON_DEPTH = 32;

/**
 * The path of the first object or array nested deeper than `max`, found by a linear scan of
 * the text (no recursion, so any depth is safe to examine); undefined when within the limit.
 */
export function tooDeepAt(text: string, max = MAX_JSON_DEPTH): string | undefined {
  const path: (string | number)[] = [];
  const kinds: ('{' | '[')[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        path[path.length - 1] = text.slice(i + 1, j);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      kinds.push(c);
      path.push(c === '{' ? '' : 0);
      if (kinds.length > max) return path.slice(0, -1).join('.') || '(body)';
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      kinds.pop();
      path.pop();
      expectKey = false;
    } else if (c === ',') {
      if (kinds.at(-1) === '[') path[path.length - 1] = (path.at(-1) as number) + 1;
      else expectKey = true;
    }
  }
  return undefined;
}

/** Reads application/json bodies (as text, via express.text) into req.body. */
export const losslessJsonBody: RequestHandler = (req, res, next) => {
  if (typeof req.body !== 'string') {
    req.body = req.body && typeof req.body === 'object' && Object.keys(req.body as object).length ? req.body : undefined;
    return next();
  }
  if (req.body.trim() === '') {
    req.body = undefined;
    return next();
  }
  const deep = tooDeepAt(req.body);
  if (deep !== undefined) {
    const field = deep.split('.')[0]!;
    return sendError(res, 'VALIDATION_ERROR', 'Invalid request', {
      fields: [{ field, message: `nested deeper than ${MAX_JSON_DEPTH} levels (at ${deep.length > 200 ? `${deep.slice(0, 200)}…` : deep})` }],
    });
  }
  try {
    req.body = parseJsonLossless(req.body);
    next();
  } catch (err) {
    sendError(res, 'VALIDATION_ERROR', 'Malformed JSON body', { reason: err instanceof Error ? err.message : String(err) });
  }
};
