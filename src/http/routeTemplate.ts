import type { Request } from 'express';
import type { Endpoint } from './endpoint.js';

/**
 * The route template a request matched (/api/v1/opportunities/{id}), never its raw path: metric
 * labels and span names must not grow with every id. Requests refused before routing (401,
 * 429) are matched against the endpoint declarations; anything else unknown is "unmatched".
 */
export function routeTemplates(endpoints: readonly Endpoint<never>[]): (req: Request) => string {
  const patterns = endpoints.map((e) => ({
    method: e.method.toUpperCase(),
    path: e.path,
    regex: new RegExp(`^${e.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}/?$`),
  }));
  return (req) => {
    const path = req.originalUrl.split('?')[0] ?? '';
    if (path.startsWith('/api/')) {
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      return patterns.find((p) => p.method === method && p.regex.test(path))?.path ?? 'unmatched';
    }
    if (path === '/graphql' || path.startsWith('/graphql/')) return '/graphql';
    const route = (req as { route?: { path?: unknown } }).route?.path;
    return typeof route === 'string' ? route : 'unmatched';
  };
}
