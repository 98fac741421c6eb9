import { z } from 'zod';
import type { Endpoint } from './endpoint.js';
import { rolesAllowed } from '../access/policy.js';
import { USER_ID_PATTERN } from '../access/roles.js';
import { AGGREGATE_ID_PATTERN } from '../eventstore/streams.js';

/** What the document needs of an endpoint: its declaration without the handler. */
export type ApiRoute = Omit<Endpoint, 'handle'>;

const error = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const header = (description: string, type = 'integer') => ({ description, schema: { type } });
const RATE_HEADERS = {
  'X-RateLimit-Limit': header("the caller's requests per minute"),
  'X-RateLimit-Remaining': header("requests left in the caller's current minute"),
  'X-RateLimit-Reset': header('epoch seconds at which the minute starts afresh'),
};
const RETRY = { ...RATE_HEADERS, 'Retry-After': header('seconds to wait') };

const jsonSchema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' });

function successOf(r: ApiRoute) {
  const headers = { ...RATE_HEADERS, ...(r.method !== 'get' || r.path.includes('{') ? { ETag: header('stream revision', 'string') } : {}) };
  if ('mediaType' in r.response) {
    return { description: r.response.description, headers, content: { [r.response.mediaType]: { schema: { type: 'string' } } } };
  }
  return { description: 'Success', headers, content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } };
}

function forbiddenOf(r: ApiRoute) {
  const roles = r.access ? rolesAllowed(r.access[0], r.access[1]) : ['sales_rep', 'sales_manager', 'admin', 'compliance'];
  return error(
    `FORBIDDEN: the credentials carry none of the known roles, the role may not do this (allowed: ${roles.join(', ')}), ` +
      'or the record or owner asked for is outside the caller’s reach',
  );
}

export function openApiDocument(routes: readonly ApiRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const m of r.path.matchAll(/\{(\w+)\}/g)) {
      const pattern = m[1] === 'userId' ? USER_ID_PATTERN.source : AGGREGATE_ID_PATTERN.source;
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string', pattern } });
    }
    if (r.query) {
      const shape = jsonSchema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(shape.properties ?? {})) {
        parameters.push({ name, in: 'query', required: shape.required?.includes(name) ?? false, schema });
      }
    }
    if (r.ifMatch) {
      const etag = { type: 'string', pattern: '^(W/)?"?-?[0-9]{1,19}"?$', example: '"3"' };
      parameters.push({ name: 'If-Match', in: 'header', required: false, schema: etag, description: 'ETag (stream revision) last seen; 409 when stale' });
    }
    if (r.method !== 'get') {
      const key = { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$', description: 'a retry with the same key gets the first answer; scoped to the caller' };
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: key });
    }
    paths[r.path] ??= {};
    paths[r.path]![r.method] = {
      summary: r.summary,
      ...(r.access ? { description: `Roles: ${rolesAllowed(r.access[0], r.access[1]).join(', ')}.` } : {}),
      parameters,
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      responses: {
        [r.success]: successOf(r),
        400: error('VALIDATION_ERROR: the request is invalid; details.fields names each field'),
        401: error('UNAUTHORIZED: no, or an invalid, bearer token or API key', RATE_HEADERS),
        403: forbiddenOf(r),
        404: error('NOT_FOUND: a record the request names does not exist (in this tenant)'),
        ...(r.method !== 'get' ? { 409: error('CONFLICT: a stale If-Match, a duplicate, or a state that forbids the command') } : {}),
        429: error('RATE_LIMIT_EXCEEDED: per user 1,000/min, bursts of 50/s, 100,000/min in all', RETRY),
        503: error('SERVICE_UNAVAILABLE: the database or identity provider cannot be reached, or min_position was not reached in time', {
          'Retry-After': header('seconds to wait'),
        }),
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'CRM Pipeline API', version },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'details', 'request_id', 'timestamp'],
              properties: {
                code: { type: 'string', enum: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMIT_EXCEEDED', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR'] },
                message: { type: 'string' },
                details: { type: 'object' },
                request_id: { type: 'string' },
                timestamp: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      },
    },
  };
}
