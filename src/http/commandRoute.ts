import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { DomainEvent } from '../aggregates/decider.js';
import {
  type Aggregate,
  type CommandEnvelope,
  type CommandResult,
  type ExecuteCommand,
  recoverResult,
} from '../commands/handler.js';
import { type StoredResponse, claimKey, completeKey, releaseKey, requestHash } from '../commands/idempotency.js';
import type { EventStore } from '../eventstore/port.js';
import { formatPosition } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { DomainError, validation } from '../shared/errors.js';
import { identityOf } from './auth.js';
import { STATUS, errorEnvelope, requestId } from './errors.js';

export interface CommandRouteDeps {
  readonly db: Knex;
  readonly store: EventStore;
  readonly execute: ExecuteCommand;
}

export interface CommandSpec<C, E extends DomainEvent, S> {
  readonly aggregate: Aggregate<C, E, S>;
  readonly aggregateId: string;
  readonly command: C;
  readonly status: 200 | 201;
  readonly render: (result: CommandResult<S>) => Record<string, unknown>;
  /** Location header for a created resource. */
  readonly location?: string;
}

/** If-Match: the stream revision the client last saw, as the ETag we sent ("5", W/"5" or 5). */
export function parseIfMatch(header: string | undefined): bigint | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(-?\d{1,19})"?\s*$/.exec(header);
  if (!m) throw validation('If-Match must be the ETag of the resource, e.g. "3"', { header: 'If-Match' });
  return BigInt(m[1]!);
}

export const etagOf = (revision: bigint | string) => `"${revision.toString()}"`;

function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw validation('Idempotency-Key must be 1-200 visible ASCII characters', { header: 'Idempotency-Key' });
  }
  return key;
}

/**
 * Runs one command for an HTTP request: identity from the token, If-Match as the expected
 * revision, Idempotency-Key, then the response with ETag and the position it wrote (for
 * read-your-writes). Domain errors of an idempotent request are remembered like successes.
 */
export async function runCommand<C, E extends DomainEvent, S>(
  deps: CommandRouteDeps,
  req: Request,
  res: Response,
  spec: CommandSpec<C, E, S>,
): Promise<void> {
  const identity = identityOf(res);
  const expectedRevision = parseIfMatch(req.get('if-match'));
  const key = idempotencyKeyOf(req);
  const correlationId = req.get('x-correlation-id')?.slice(0, 200) || requestId(res);
  const envelope: CommandEnvelope = {
    tenantId: identity.tenantId,
    aggregateId: spec.aggregateId,
    userId: identity.userId,
    correlationId,
    causationId: requestId(res),
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    ...(expectedRevision !== undefined ? { expectedRevision } : {}),
  };

  const respond = (r: StoredResponse) => {
    for (const [h, v] of Object.entries(r.headers)) res.setHeader(h, v);
    res.status(r.status).json(r.body);
  };
  const success = (result: CommandResult<S>): StoredResponse => {
    const headers: Record<string, string> = { ETag: etagOf(result.revision) };
    if (result.position) headers['X-Event-Position'] = formatPosition(result.position);
    if (spec.location) headers.Location = spec.location;
    return {
      status: spec.status,
      headers,
      body: {
        ...spec.render(result),
        revision: result.revision.toString(),
        position: result.position ? formatPosition(result.position) : null,
      },
    };
  };

  if (key === undefined) {
    respond(success(await deps.execute(spec.aggregate, envelope, spec.command)));
    return;
  }

  const streamId = streamName({ category: spec.aggregate.category, tenantId: identity.tenantId, aggregateId: spec.aggregateId });
  const hash = requestHash([req.method, req.baseUrl + req.path, req.body ?? null, expectedRevision?.toString() ?? null]);
  const claim = await claimKey(deps.db, { tenantId: identity.tenantId, key, hash, streamId });
  if (claim.kind === 'replay') {
    res.setHeader('Idempotent-Replayed', 'true');
    respond(claim.response);
    return;
  }
  let response: StoredResponse;
  try {
    const recovered =
      claim.kind === 'takeover'
        ? await recoverResult(deps.store, spec.aggregate, streamId, spec.aggregateId, key)
        : undefined;
    response = success(recovered ?? (await deps.execute(spec.aggregate, envelope, spec.command)));
  } catch (err) {
    if (!(err instanceof DomainError)) {
      await releaseKey(deps.db, identity.tenantId, key).catch(() => undefined);
      throw err;
    }
    response = { status: STATUS[err.code], headers: {}, body: errorEnvelope(res, err.code, err.message, err.details) };
  }
  await completeKey(deps.db, identity.tenantId, key, response);
  respond(response);
}
