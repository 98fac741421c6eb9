import { z } from 'zod';
import { STREAM_CATEGORIES } from '../../aggregates/categories.js';
import { endOfUtcDay, headDigestJson, tenantHeadDigest, verifyAgainstDigest, verifyJson } from '../../compliance/headDigest.js';
import { verifyChains } from '../../compliance/verify.js';
import { parseStreamName } from '../../eventstore/streams.js';
import { validation } from '../../shared/errors.js';
import type { ApiDeps } from '../deps.js';
import { type Endpoint, endpoint } from '../endpoint.js';
import { headDigestBody, verifyBody } from '../responses/admin.js';

const pastInstant = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 instant, e.g. 2026-02-02T11:10:00Z' })
  .refine((t) => Date.parse(t) <= Date.now(), { message: 'must not be in the future' });

export const verifyQuery = z
  .strictObject({
    stream: z.string().min(1).max(300).optional(),
    digest: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be a hex SHA-256 (64 characters), as head-digest exported it').optional(),
    as_of: pastInstant.optional(),
  })
  .refine((q) => (q.digest === undefined) === (q.as_of === undefined), { message: 'digest and as_of go together (both from the export)', path: ['as_of'] })
  .refine((q) => !(q.digest && q.stream), { message: 'a digest covers the tenant: leave out stream', path: ['stream'] });

export const headDigestQuery = z
  .strictObject({
    date: z.iso
      .date({ error: 'must be a UTC day, YYYY-MM-DD' })
      .refine((d) => endOfUtcDay(d).getTime() < Date.now(), { message: 'that day is not over yet' })
      .optional(),
    as_of: pastInstant.optional(),
  })
  .refine((q) => !(q.date && q.as_of), { message: 'give date or as_of, not both', path: ['as_of'] });

const audit = ['audit', 'read'] as const;

/** Compliance: the hash chains verified, and the tenant's head digest to keep outside the system. */
export const integrityEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'get',
    path: '/api/v1/audit/verify',
    summary: "Recompute the hash chains of the caller's tenant (or one of its streams) and name each stream's first broken link; with digest and as_of, compare a kept head digest",
    access: audit,
    query: verifyQuery,
    success: 200,
    response: verifyBody,
    handle: async ({ query: q, access, deps }) => {
      const tenant = { tenantId: access.tenantId, categories: STREAM_CATEGORIES };
      if (q.digest && q.as_of) {
        const { report, check } = await verifyAgainstDigest(deps.storedLog, tenant, { digest: q.digest, asOf: new Date(q.as_of) });
        return { body: verifyJson(report, check) };
      }
      if (q.stream !== undefined && parseStreamName(q.stream)?.tenantId !== access.tenantId) {
        throw validation("stream must be a stream of the caller's tenant, e.g. opportunity-<tenant>:OPP-100", { field: 'stream' });
      }
      const report = await verifyChains(deps.storedLog, q.stream !== undefined ? { kind: 'stream', streamId: q.stream } : { kind: 'tenant', ...tenant });
      return { body: verifyJson(report) };
    },
  }),
  endpoint({
    method: 'get',
    path: '/api/v1/audit/head-digest',
    summary: "The caller's tenant's head digest at the end of a UTC day (date), at an instant (as_of), or now: keep it outside the system, verify against it later",
    access: audit,
    query: headDigestQuery,
    success: 200,
    response: headDigestBody,
    handle: async ({ query: q, access, deps }) => {
      const asOf = q.date ? endOfUtcDay(q.date) : q.as_of ? new Date(q.as_of) : new Date();
      const digest = await tenantHeadDigest(deps.storedLog, { tenantId: access.tenantId, categories: STREAM_CATEGORIES }, asOf);
      return { body: headDigestJson(digest) };
    },
  }),
];
