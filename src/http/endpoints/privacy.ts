import { eraseSubjects } from '../../commands/erasures.js';
import { exportSubject } from '../../compliance/subjectAccess.js';
import { formatPosition } from '../../eventstore/port.js';
import { emailRef } from '../../privacy/subjects.js';
import { callerOf } from '../commandReply.js';
import type { ApiDeps } from '../deps.js';
import { type Endpoint, endpoint } from '../endpoint.js';
import { type ErasureRequest } from '../../commands/erasures.js';
import { erasureBody, subjectLookupQuery } from '../requests/privacy.js';
import { erasureResult, subjectExportBody, subjectLookup } from '../responses/privacy.js';

/** GDPR: erasure (Art. 17) by crypto-shredding and subject access (Art. 15); src/privacy, DESIGN §13. */
export const privacyEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'post',
    path: '/api/v1/privacy/erasures',
    summary: "Erase a person's data (by lead_id, customer_id or email): destroys their key, records and publishes the erasure, scrubs the read models; again: 200, nothing changes",
    access: ['privacy', 'write'],
    body: erasureBody,
    success: 201,
    response: erasureResult,
    handle: async (call) => {
      const outcome = await eraseSubjects(call.deps, callerOf(call.req, call.res), call.body as ErasureRequest);
      const now = outcome.subjects.some((s) => s.erasedNow);
      const position = outcome.position ? formatPosition(outcome.position) : null;
      return {
        status: now || outcome.subjects.length === 0 ? 201 : 200,
        ...(position ? { headers: { 'X-Event-Position': position } } : {}),
        body: {
          status: now || outcome.subjects.length === 0 ? 'ERASED' : 'ALREADY_ERASED',
          subjects: outcome.subjects.map((s) => ({ subject_id: s.subjectId, erased_now: s.erasedNow })),
          records: outcome.records,
          position,
        },
      };
    },
  }),
  endpoint({
    method: 'post',
    path: '/api/v1/privacy/subjects/search',
    summary: 'The data subjects held under an email, their ids for the export (in the body: an email belongs in no URL or access log)',
    access: ['privacy', 'read'],
    body: subjectLookupQuery,
    success: 200,
    response: subjectLookup,
    handle: async ({ body, access, deps }) => {
      const { email } = body as { email: string };
      const rows = (await deps.db('privacy_subject_refs as r')
        .join('privacy_subjects as s', 's.subject_id', 'r.subject_id')
        .where({ 'r.tenant_id': access.tenantId, 'r.ref': emailRef(email) })
        .select('s.subject_id', 's.erased_at')) as { subject_id: string; erased_at: Date | null }[];
      return { body: { subjects: rows.map((r) => ({ subject_id: r.subject_id, erased_at: r.erased_at?.toISOString() ?? null })) } };
    },
  }),
  endpoint({
    method: 'get',
    path: '/api/v1/privacy/subjects/{id}/export',
    summary: 'Everything held about a person (a subject id, lead id or customer id): events, read-model rows, consents',
    access: ['privacy', 'read'],
    success: 200,
    response: subjectExportBody,
    handle: async ({ params, access, deps }) => ({ body: await exportSubject(deps, access, { id: params.id! }) }),
  }),
];
