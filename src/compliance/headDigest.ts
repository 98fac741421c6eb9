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
