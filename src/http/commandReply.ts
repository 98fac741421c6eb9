import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { DomainEvent } from '../aggregates/decider.js';
import { type Aggregate, type CommandResult, type ExecuteCommand } from '../commands/handler.js';
import { recoverResult } from '../commands/recoverResult.js';
import { type KeyOwner, type StoredResponse, abandonKey, claimKey, completeKey, requestHash, whileClaimed } from '../commands/idempotency.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { EventStore } from '../eventstore/port.js';
import { formatPosition } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { DomainError, conflict, validation } from '../shared/errors.js';
import type { Caller } from '../commands/context.js';
import { accessOf } from './auth.js';
import { STATUS, errorEnvelope, requestId } from './errors.js';

/** What answering a command needs: the key table, and the stream an earlier attempt left its outcome in. */
export interface CommandRouteDeps {
  readonly db: Knex;
  readonly store: EventStore;
  readonly execute: ExecuteCommand;
}

/** If-Match: the stream revision the client last saw, as the ETag we sent ("5", W/"5" or 5). */
export function parseIfMatch(header: string | undefined): bigint | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(-?\d{1,19})"?\s*$/.exec(header);
  if (!m) throw validation('If-Match must be the ETag of the resource, e.g. "3"', { header: 'If-Match' });
  return BigInt(m[1]!);
}

export const etagOf = (revision: bigint | string) => `"${revision.toString()}"`;

export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw validation('Idempotency-Key must be 1-200 visible ASCII characters', { header: 'Idempotency-Key' });
  }
  return key;
}

export function respond(res: Response, r: StoredResponse): void {
  for (const [h, v] of Object.entries(r.headers)) res.setHeader(h, v);
  res.status(r.status).json(r.body);
}

/**
 * Idempotency-Key for any command-like request: without a key `run` answers; with one, the
 * first request claims the key and its response (domain errors included) is remembered, a
 * retry gets that response again (Idempotent-Replayed: true), the same key on another request
 * is a 409. `run` learns whether it takes over a claim left by a crash.
 */
export async function idempotentResponse(
  db: Knex,
  req: Request,
  res: Response,
  streamId: string,
  run: (takeover: boolean) => Promise<StoredResponse>,
  /** The outcome an earlier execution left in the stream (its events carry the key), if any. */
  recover?: () => Promise<StoredResponse | undefined>,
  /** Fields of the body left out of the remembered answer: a replay shows them as null. */
  secretFields: readonly string[] = [],
): Promise<void> {
  const key = idempotencyKeyOf(req);
  if (key === undefined) return respond(res, await run(false));
  const owner = keyOwnerOf(res);
  const hash = requestHash([req.method, req.baseUrl + req.path, req.body ?? null, req.get('if-match') ?? null]);
  await whileClaimed(owner, key, async () => {
    const claim = await claimKey(db, { ...owner, key, hash, streamId });
    if (claim.kind === 'replay') {
      res.setHeader('Idempotent-Replayed', 'true');
      return respond(res, claim.response);
    }
    if (claim.kind === 'busy') {
      // The first request may have lost its connection after its append committed (an outage):
      // its events say so, and the retry gets that outcome rather than waiting out the lease.
      const recovered = await recover?.();
      if (!recovered) {
        res.setHeader('Retry-After', '2');
        throw conflict('A request with this Idempotency-Key is still in progress; retry shortly', { idempotency_key: key });
      }
      await completeKey(db, owner, key, withoutSecrets(recovered, secretFields));
      res.setHeader('Idempotent-Replayed', 'true');
      return respond(res, recovered);
    }
    let response: StoredResponse;
    try {
      response = await run(claim.kind === 'takeover');
    } catch (err) {
      if (!(err instanceof DomainError)) {
        // A lost connection leaves the outcome unknown: the claim stays, and the retry (which this
        // process lets take it over at once) looks in the stream first. Any other failure frees
        // the lease now, with the same look first.
        if (!isDatabaseUnavailable(err)) await abandonKey(db, owner, key).catch(() => undefined);
        throw err;
      }
      response = { status: STATUS[err.code], headers: {}, body: errorEnvelope(res, err.code, err.message, err.details) };
    }
    await completeKey(db, owner, key, withoutSecrets(response, secretFields));
    respond(res, response);
  });
}

function withoutSecrets(r: StoredResponse, fields: readonly string[]): StoredResponse {
  if (fields.length === 0 || typeof r.body !== 'object' || r.body === null) return r;
  return { ...r, body: { ...r.body, ...Object.fromEntries(fields.map((f) => [f, null])) } };
}

/** Idempotency keys belong to the caller (tenant and actor), not to the whole tenant. */
export function keyOwnerOf(res: Response): KeyOwner {
  const { tenantId, actorId } = accessOf(res);
  return { tenantId, principal: actorId };
}

/**
 * The one way a request becomes the caller of a use case: its access (tenant, actor, roles,
 * reach), the correlation id a client sent (or the request id), the request as the cause, the
 * Idempotency-Key (so that the events carry it) and If-Match as the expected revision.
 */
export function callerOf(req: Request, res: Response): Caller {
  const key = idempotencyKeyOf(req);
  const expectedRevision = parseIfMatch(req.get('if-match'));
  return {
    ...traceOf(req, res),
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    ...(expectedRevision !== undefined ? { expectedRevision } : {}),
  };
}

/** The caller's access and where its events come from: the client's correlation id (or the request id), the request as cause. */
export function traceOf(req: Request, res: Response): Caller {
  return { access: accessOf(res), correlationId: req.get('x-correlation-id')?.slice(0, 200) || requestId(res), causationId: requestId(res) };
}

export interface CommandReplySpec<C, E extends DomainEvent, S> {
  /** The aggregate the use case writes, and which one: for the stream an earlier attempt left its outcome in. */
  readonly aggregate: Aggregate<C, E, S>;
  readonly aggregateId: string;
  readonly status: 200 | 201;
  readonly run: (caller: Caller) => Promise<CommandResult<S>>;
  readonly render: (result: CommandResult<S>) => object | Promise<object>;
  readonly location?: string;
  /** Fields of the answer never stored for an Idempotency-Key replay (a secret shown once). */
  readonly secretFields?: readonly string[];
}

/**
 * Answers a request with a use case's outcome: Idempotency-Key around it (once, for every
 * command endpoint), then the body the render gives with the revision (also the ETag) and the
 * position the command wrote (for read-your-writes).
 */
export async function commandReply<C, E extends DomainEvent, S>(
  call: { req: Request; res: Response; deps: CommandRouteDeps },
  spec: CommandReplySpec<C, E, S>,
): Promise<void> {
  const { req, res, deps } = call;
  const caller = callerOf(req, res);
  const key = caller.idempotencyKey;
  const success = async (result: CommandResult<S>): Promise<StoredResponse> => {
    const headers: Record<string, string> = { ETag: etagOf(result.revision) };
    if (result.position) headers['X-Event-Position'] = formatPosition(result.position);
    if (spec.location) headers.Location = spec.location;
    return {
      status: spec.status,
      headers,
      body: { ...(await spec.render(result)), revision: result.revision.toString(), position: result.position ? formatPosition(result.position) : null },
    };
  };
  const streamId = streamName({ category: spec.aggregate.category, tenantId: caller.access.tenantId, aggregateId: spec.aggregateId });
  // An earlier execution with this key left its outcome in the stream: its events carry the key.
  const recover = async () => {
    const found = key === undefined ? undefined : await recoverResult(deps.store, spec.aggregate, streamId, spec.aggregateId, key, caller.access.actorId);
    return found && success(found);
  };
  await idempotentResponse(
    deps.db,
    req,
    res,
    streamId,
    async (takeover) => {
      // Taking over a claim whose request died: its outcome, if it left one, is a replay.
      const earlier = takeover ? await recover() : undefined;
      return earlier ? { ...earlier, headers: { ...earlier.headers, 'Idempotent-Replayed': 'true' } } : success(await spec.run(caller));
    },
    recover,
    spec.secretFields,
  );
}
