import { createHash } from 'node:crypto';
import type { Json, JsonObject } from './port.js';

/**
 * The per-stream hash chain (DESIGN §13): the one definition of an event's canonical form and
 * of a link, used by both adapters, the migration that chained the existing log, and verify.
 *
 *   hash(n) = SHA-256( hash(n-1) as 32 bytes || UTF-8 of canonicalForm(n) )
 *   hash(-1) = GENESIS (32 zero bytes)
 *   canonicalForm(n) = `${revision}\n${body}`
 *   body = canonical JSON of { streamId, eventId (lower case), eventType, data, metadata }
 *
 * Canonical JSON is RFC 8785 (JCS): keys sorted by UTF-16 code units, no whitespace, numbers
 * and strings as ECMAScript's JSON.stringify writes them. It is computed from the values as
 * stored and read back (JSON text parsed again), so a re-read event gives the same body.
 *
 * The revision stands first and apart from the body because the PostgreSQL store only learns
 * it under its per-stream lock: es_append (postgres/appendSql.ts) hashes the body it is sent
 * with the revision it assigns, the only part of this rule repeated in SQL.
 */
export const GENESIS = '0'.repeat(64);

export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}

export interface ChainedContent {
  readonly streamId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

/** The revision-free part of the canonical form. */
export function chainBody(e: ChainedContent): string {
  return canonicalJson({ streamId: e.streamId, eventId: e.eventId.toLowerCase(), eventType: e.eventType, data: e.data, metadata: e.metadata });
}

/** A link: the hash of an event at `revision` with `body`, chained from `prev` (hex). */
export function linkHash(prev: string, revision: bigint, body: string): string {
  return createHash('sha256').update(Buffer.from(prev, 'hex')).update(`${revision}\n${body}`, 'utf8').digest('hex');
}

/** The hash an event must carry, given its predecessor's. */
export const eventHash = (prev: string, e: ChainedContent & { readonly revision: bigint }): string => linkHash(prev, e.revision, chainBody(e));

export interface StreamHead {
  readonly streamId: string;
  readonly revision: bigint;
  readonly hash: string;
}

/**
 * A tenant's head digest: SHA-256 over the canonical JSON of its stream heads, sorted by
 * stream id, each [stream id, last revision as a decimal string, last hash].
 */
export function headDigest(heads: readonly StreamHead[]): string {
  const rows = [...heads]
    .sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0))
    .map((h): Json => [h.streamId, h.revision.toString(), h.hash]);
  return createHash('sha256').update(canonicalJson(rows), 'utf8').digest('hex');
}
