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
  try {
    req.body = parseJsonLossless(req.body);
    next();
  } catch (err) {
    sendError(res, 'VALIDATION_ERROR', 'Malformed JSON body', { reason: err instanceof Error ? err.message : String(err) });
  }
};
