import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { conflict } from '../shared/errors.js';

/**
 * Idempotency-Key support: a retried request with the same key gets the first response
 * instead of running again. The key is claimed (pending) before the command runs and holds
 * the response after; a different request under the same key is refused.
 *
 * If the process died between appending and recording the response, the claim is pending
 * for good; once its lease has passed, the next retry may take it over (the events carry the
 * key in their metadata, so `recover` can rebuild the outcome from the stream). A claim made by
 * this very process for a request no longer in flight (its connection died in an outage) is
 * taken over at once: nobody can still be working on it.
 */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

export type Claim =
  | { kind: 'new'; streamId: string }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'takeover'; streamId: string }
  /** Claimed by a request still within its lease: in flight, or lost with its connection. */
  | { kind: 'busy'; streamId: string };

/**
 * Longer than any request can take: each of its few statements is cancelled by the server after
 * DATABASE_QUERY_TIMEOUT_MS (10 s by default), so a claim this old is not being worked on.
 */
const LEASE_MS = 60_000;
const TABLE = 'idempotency_keys';

/**
 * Who claims: this process. The requests of this process working on each key, counted from
 * before they claim it until they are done: a claim of this process that no other request here
 * works on was abandoned (its request failed), and a retry takes it over at once.
 */
const CLAIMANT = randomUUID();
const inFlight = new Map<string, number>();
const flightKey = (owner: KeyOwner, key: string) => `${owner.tenantId}\u0000${owner.principal}\u0000${key}`;

/** Runs `work` (which claims the key, then runs the command) as one request working on the key. */
export async function whileClaimed<T>(owner: KeyOwner, key: string, work: () => Promise<T>): Promise<T> {
  const k = flightKey(owner, key);
  inFlight.set(k, (inFlight.get(k) ?? 0) + 1);
  try {
    return await work();
  } finally {
    const left = (inFlight.get(k) ?? 1) - 1;
    if (left > 0) inFlight.set(k, left);
    else inFlight.delete(k);
  }
}

export function requestHash(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** A key is scoped to its caller: the same key from two users of a tenant is two keys. */
export interface KeyOwner {
  readonly tenantId: string;
  readonly principal: string;
}

const where = (owner: KeyOwner, key: string) => ({ tenant_id: owner.tenantId, principal: owner.principal, key });

/** Whether this caller has used the key before (whatever became of that request). */
export async function keyKnown(db: Knex, owner: KeyOwner, key: string): Promise<boolean> {
  return (await db(TABLE).where(where(owner, key)).first('key')) !== undefined;
}

export async function claimKey(db: Knex, args: KeyOwner & { key: string; hash: string; streamId: string }): Promise<Claim> {
  const inserted = await db(TABLE)
    .insert({ ...where(args, args.key), request_hash: args.hash, stream_id: args.streamId, status: 'pending', claimed_by: CLAIMANT })
    .onConflict(['tenant_id', 'principal', 'key'])
    .ignore()
    .returning('key');
  if (inserted.length === 1) return { kind: 'new', streamId: args.streamId };

  const row = await db(TABLE).where(where(args, args.key)).first();
  if (!row) return claimKey(db, args); // deleted between the two statements: try again
  if (row.request_hash !== args.hash) {
    throw conflict('This Idempotency-Key was used for a different request', { idempotency_key: args.key });
  }
  if (row.status === 'done') {
    return { kind: 'replay', response: { status: row.status_code, body: row.response?.body, headers: row.response?.headers ?? {} } };
  }
  // Take over an expired claim, or one of this process that no request works on any more, in one
  // statement judged by the database's clock: of two retries only one wins.
  // Called within whileClaimed: the count includes this request.
  const abandoned = row.claimed_by === CLAIMANT && (inFlight.get(flightKey(args, args.key)) ?? 0) <= 1;
  const taken = await db(TABLE)
    .where({ ...where(args, args.key), status: 'pending' })
    .modify((q) => (abandoned ? q.where('claimed_by', CLAIMANT) : q.whereRaw('updated_at < now() - make_interval(secs => ?)', [LEASE_MS / 1000])))
    .update({ updated_at: db.fn.now(), claimed_by: CLAIMANT })
    .returning('stream_id');
  if (taken.length !== 1) return { kind: 'busy', streamId: row.stream_id };
  return { kind: 'takeover', streamId: row.stream_id };
}

/**
 * Keeps a long request's claim (a bulk request, batch after batch) from looking abandoned:
 * false when the claim is no longer this process's (a retry took it over after a stall).
 */
export async function renewKey(db: Knex, owner: KeyOwner, key: string): Promise<boolean> {
  const renewed = await db(TABLE).where({ ...where(owner, key), status: 'pending', claimed_by: CLAIMANT }).update({ updated_at: db.fn.now() });
  return renewed === 1;
}

export async function completeKey(db: Knex, owner: KeyOwner, key: string, response: StoredResponse): Promise<void> {
  await db(TABLE)
    .where(where(owner, key))
    .update({
      status: 'done',
      status_code: response.status,
      response: JSON.stringify({ body: response.body, headers: response.headers }),
      updated_at: db.fn.now(),
    });
}

/**
 * After an unexpected failure the command may or may not have appended (a connection lost
 * after COMMIT): the claim stays, its lease expired, so the next retry takes it over and
 * first looks in the stream for events carrying the key instead of running blindly again.
 */
export async function abandonKey(db: Knex, owner: KeyOwner, key: string): Promise<void> {
  await db(TABLE).where({ ...where(owner, key), status: 'pending' }).update({ updated_at: new Date(0) });
}
