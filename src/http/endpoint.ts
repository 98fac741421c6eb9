import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { Access } from '../access/access.js';
import { type Action, type Resource, requireReach } from '../access/policy.js';
import { USER_ID_PATTERN } from '../access/roles.js';
import { AGGREGATE_ID_PATTERN } from '../eventstore/streams.js';
import { accessOf } from './auth.js';

/**
 * One declaration per endpoint: what the router mounts and what the OpenAPI document says come
 * from the same object, so they cannot drift. A handler gets its input parsed by the declared
 * schemas and answers with a Reply (or writes a stream itself and returns nothing).
 */
export interface Reply {
  readonly status?: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Call<Q, B, D> {
  readonly req: Request;
  readonly res: Response;
  readonly access: Access;
  /** Path parameters, each checked against the id (or user id) pattern. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
  readonly deps: D;
}

export interface Endpoint<D = unknown> {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The OpenAPI path, e.g. /api/v1/opportunities/{id}. */
  readonly path: string;
  readonly summary: string;
  /** What the policy must allow before anything else; absent: any known role. */
  readonly access?: readonly [Resource, Action];
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** The success body: a JSON schema, or a media type for a streamed answer. */
  readonly response: z.ZodType | { readonly mediaType: string; readonly description: string };
  readonly success: number;
  readonly ifMatch?: boolean;
  readonly handle: (call: Call<unknown, unknown, D>) => Promise<Reply | void>;
}

/** Declares an endpoint with its handler typed by its schemas. */
export function endpoint<D, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
  def: Omit<Endpoint<D>, 'query' | 'body' | 'handle'> & {
    readonly query?: Q;
    readonly body?: B;
    readonly handle: (call: Call<z.output<Q>, z.output<B>, D>) => Promise<Reply | void>;
  },
): Endpoint<D> {
  return def as unknown as Endpoint<D>;
}

const idParam = z.string().regex(AGGREGATE_ID_PATTERN, 'must be 1-128 characters: letters, digits, _ . : -');
const userParam = z.string().regex(USER_ID_PATTERN, 'must be a user id: 1-128 visible ASCII characters');

/** Mounts the endpoints under `prefix` (the part of their path the router sits below). */
export function mount<D>(router: Router, prefix: string, endpoints: readonly Endpoint<D>[], deps: D): Router {
  for (const e of endpoints) {
    const route = e.path.slice(prefix.length).replace(/\{(\w+)\}/g, ':$1') || '/';
    // Every path parameter is an id (or a user id), named in the error when it is not one. Built
    // once per endpoint: zod compiles an object schema when it is made, too dear per request.
    const names = [...e.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const paramsSchema = z.object(Object.fromEntries(names.map((name) => [name, name === 'userId' ? userParam : idParam])));
    router[e.method](route, async (req: Request, res: Response) => {
      if (e.access) requireReach(accessOf(res), e.access[0], e.access[1]);
      const params = paramsSchema.parse(req.params) as Record<string, string>;
      const call = {
        req,
        res,
        access: accessOf(res),
        params,
        query: e.query ? e.query.parse(req.query) : undefined,
        body: e.body ? e.body.parse(req.body ?? {}) : undefined,
        deps,
      };
      const reply = await e.handle(call);
      if (!reply) return;
      for (const [h, v] of Object.entries(reply.headers ?? {})) res.setHeader(h, v);
      res.status(reply.status ?? e.success).json(reply.body);
    });
  }
  return router;
}

/** A fresh router with the endpoints mounted. */
export const routerOf = <D>(prefix: string, endpoints: readonly Endpoint<D>[], deps: D) => mount(Router(), prefix, endpoints, deps);

/** Seed 004's list envelope. */
export function paged<T>(data: readonly T[], total: number, page: { limit: number; offset: number }) {
  return { data, pagination: { total, limit: page.limit, offset: page.offset, has_more: page.offset + data.length < total } };
}
