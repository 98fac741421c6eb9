import type { Request, Response } from 'express';
import type { Access } from '../access/access.js';
import type { Caller } from '../commands/context.js';
import type { ApiDeps } from '../http/deps.js';
import { accessOf } from '../http/auth.js';
import { traceOf } from '../http/commandReply.js';
import { type Loaders, createLoaders } from './loaders.js';

/**
 * What every resolver gets: the use cases' context, the caller (authenticated by the same
 * middleware as REST, so the same access policy and tenant), and this request's batch loaders.
 */
export interface GraphQLContext {
  readonly deps: ApiDeps;
  readonly access: Access;
  readonly caller: Caller;
  readonly loaders: Loaders;
  readonly req: Request;
  readonly res: Response;
}

export function contextFor(deps: ApiDeps, req: Request, res: Response): GraphQLContext {
  const access = accessOf(res);
  return {
    deps,
    access,
    // As REST: correlation id, the request as cause. Idempotency-Key and If-Match are REST's
    // (they name one resource) and are not read here; a retried create with the same id answers
    // CONFLICT "already exists", so nothing is created twice.
    caller: traceOf(req, res),
    loaders: createLoaders(deps.db, access.tenantId),
    req,
    res,
  };
}
