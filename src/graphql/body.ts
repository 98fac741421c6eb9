import type { RequestHandler } from 'express';
import { sendError } from '../http/errors.js';
import { LosslessNumber } from '../http/json.js';

/**
 * GraphQL bodies are read as REST bodies are (http/json.ts: lossless, depth-limited); a number
 * that is not a safe integer then reaches the scalars as its exact text, so Money keeps every
 * digit and Int names the value it refuses (the depth limit keeps the walk shallow). A JSON
 * POST without a query is answered here: Yoga would wait for a body already read.
 */
export const graphqlBody: RequestHandler = (req, res, next) => {
  if (req.method !== 'POST' || req.is('application/graphql')) return next();
  if (!req.is(['application/json', 'application/*+json'])) {
    return sendError(res, 'VALIDATION_ERROR', 'Content-Type must be application/json (or application/graphql for a bare query)');
  }
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('query' in body)) {
    return sendError(res, 'VALIDATION_ERROR', 'A GraphQL request is a JSON object with a "query" (and optional "variables", "operationName")', {
      fields: [{ field: 'query', message: 'required' }],
    });
  }
  req.body = asText(body);
  next();
};

function asText(v: unknown): unknown {
  if (v instanceof LosslessNumber) return v.toString();
  if (Array.isArray(v)) return v.map(asText);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asText(x)]));
  return v;
}
