import { headDigest } from '../eventstore/chain.js';
import type { EventStore } from '../eventstore/port.js';
import { type ChainReport, type VerifyOptions, verifyChains } from './verify.js';

/**
 * A tenant's head digest (chain.ts): one hash over every stream head of the tenant as of an
 * instant, from the chains recomputed over the events as stored. An auditor keeps it (with its
 * as_of) outside the system; later, the digest recomputed as of the same instant equals it
 * exactly when no event up to those heads was changed, removed or added since.
 */
export interface HeadDigestReport {
  readonly tenantId: string;
  readonly asOf: Date;
  readonly streams: number;
  readonly events: number;
  readonly digest: string;
  /** The chain checks of the same walk: a digest over broken chains says so. */
  readonly report: ChainReport;
}

export async function tenantHeadDigest(
  store: EventStore,
  tenant: { readonly tenantId: string; readonly categories: readonly string[] },
  asOf: Date,
  onProgress?: VerifyOptions['onProgress'],
): Promise<HeadDigestReport> {
  const report = await verifyChains(store, { kind: 'tenant', ...tenant }, { until: asOf, ...(onProgress ? { onProgress } : {}) });
  return { tenantId: tenant.tenantId, asOf, streams: report.streams, events: report.events, digest: headDigest(report.heads), report };
}

/** The last instant of a UTC day (YYYY-MM-DD): a daily digest covers what was recorded by then. */
export const endOfUtcDay = (day: string): Date => new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000 - 1);

export interface DigestCheck {
  readonly asOf: Date;
  readonly expected: string;
  readonly found: string;
  readonly matches: boolean;
}

/** Verify against a digest kept earlier: the tenant's chains up to its as_of, and the digest they give now. */
export async function verifyAgainstDigest(
  store: EventStore,
  tenant: { readonly tenantId: string; readonly categories: readonly string[] },
  kept: { readonly digest: string; readonly asOf: Date },
  onProgress?: VerifyOptions['onProgress'],
): Promise<{ report: ChainReport; check: DigestCheck }> {
  const now = await tenantHeadDigest(store, tenant, kept.asOf, onProgress);
  const expected = kept.digest.toLowerCase();
  return { report: now.report, check: { asOf: kept.asOf, expected, found: now.digest, matches: now.digest === expected } };
}

/** The JSON a verify answers (HTTP and CLI alike). */
export function verifyJson(report: ChainReport, check?: DigestCheck) {
  return {
    verified_streams: report.streams,
    verified_events: report.events,
    broken: report.broken.map((b) => ({
      stream_id: b.streamId,
      revision: b.revision.toString(),
      reason: b.reason,
      ...(b.expectedHash ? { expected_hash: b.expectedHash } : {}),
      ...(b.foundHash ? { found_hash: b.foundHash } : {}),
    })),
    ...(check ? { digest: { as_of: check.asOf.toISOString(), expected: check.expected, found: check.found, matches: check.matches } } : {}),
  };
}

/** The JSON a head digest export answers. */
export const headDigestJson = (d: HeadDigestReport) => ({
  tenant_id: d.tenantId,
  as_of: d.asOf.toISOString(),
  streams: d.streams,
  events: d.events,
  digest: d.digest,
  algorithm: 'sha256 over the canonical JSON of [stream id, last revision, last hash] sorted by stream id',
  broken_streams: d.report.broken.length,
});
