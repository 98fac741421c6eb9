import { QUALIFICATION_THRESHOLD, isQualifyingScore, leadAggregate } from '../../aggregates/lead/index.js';
import { streamName } from '../../eventstore/streams.js';
import { type LeadResult, assignLead, captureLead, qualifyLead, syncLeadFromMarketing } from '../../commands/leads.js';
import { convertLead } from '../../commands/leadConversion.js';
import type { Caller } from '../../commands/context.js';
import { type LeadRow, getLead, leadsFor } from '../../projections/leadQueries.js';
import { leadsProjection } from '../../projections/leads.js';
import { snakeKeys } from '../../shared/case.js';
import { callerOf, commandReply, etagOf, idempotentResponse } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { asOfQuery } from '../fields.js';
import { sendHistory } from '../history.js';
import { readRow } from '../readRow.js';
import { conversionResponse, existingLead, leadDto, renderLead } from '../render/leads.js';
import { assignBody, convertBody, createLeadBody, listLeadsQuery, qualifyBody } from '../requests/leads.js';
import { leadSyncBody, marketingLeadInput } from '../requests/marketingLead.js';
import { validation } from '../../shared/errors.js';
import { historyBody } from '../responses/common.js';
import { assignmentBody, conversionBody, leadBody, leadPage, leadResult, leadScoreBody } from '../responses/leads.js';

const BASE = '/api/v1/leads';
const write = ['lead', 'write'] as const;
const read = ['lead', 'read'] as const;

const onLead = (call: Call<unknown, unknown, ApiDeps>, leadId: string, run: (caller: Caller) => Promise<LeadResult>, render: (r: LeadResult) => object) =>
  commandReply(call, { aggregate: leadAggregate, aggregateId: leadId, status: 200, run, render });

const leadRow = (call: Call<unknown, unknown, ApiDeps>, moment: Parameters<typeof readRow>[1]['moment']) =>
  readRow(call, { aggregate: leadAggregate, projection: leadsProjection, label: 'Lead', moment, get: getLead, ownerOf: (r: LeadRow) => r.owner_id });

type LeadScoreAttribution = { first_touch: string | null; last_touch: string | null; touches: string[] };

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Leads (seeds 003/004): capture with scoring, qualification, assignment, conversion. */
export const leadEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'post',
    path: BASE,
    summary: 'Capture a lead (scored at once by the seed 003 rubric)',
    access: write,
    body: createLeadBody,
    success: 201,
    response: leadResult,
    handle: (call) =>
      commandReply(call, {
        aggregate: leadAggregate,
        aggregateId: call.body.leadId,
        status: 201,
        location: `${BASE}/${encodeURIComponent(call.body.leadId)}`,
        run: (caller) => captureLead(call.deps, caller, call.body),
        render: renderLead,
      }),
  }),
  endpoint({
    method: 'get',
    path: BASE,
    summary: 'List the leads the caller may see (read model)',
    access: read,
    query: listLeadsQuery,
    success: 200,
    response: leadPage,
    handle: async (call) => {
      const q = call.query;
      await readYourWrites(call, leadsProjection.name);
      const filters = { status: q.status, ownerId: q.assigned_to, territoryId: q.territory_id, source: q.source, minScore: q.min_score };
      const { rows, total } = await leadsFor(call.deps.db, call.access, filters, q);
      return { body: paged(rows.map(leadDto), total, q) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}`,
    summary: 'One lead (read model); as_of / as_of_revision: as it was then',
    access: read,
    query: asOfQuery,
    success: 200,
    response: leadBody,
    handle: async (call) => {
      const row = await leadRow(call, call.query);
      return { headers: { ETag: etagOf(row.revision) }, body: leadDto(row) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/score`,
    summary: "Current score and its breakdown (seed 004's upstream endpoint); as_of / as_of_revision: as it was then",
    access: read,
    query: asOfQuery,
    success: 200,
    response: leadScoreBody,
    handle: async (call) => {
      const row = await leadRow(call, call.query);
      return {
        headers: { ETag: etagOf(row.revision) },
        body: {
          lead_id: row.lead_id,
          score: row.score,
          breakdown: snakeKeys(row.score_breakdown),
          basis: snakeKeys(row.score_basis),
          rubric_version: row.rubric_version,
          qualification_threshold: QUALIFICATION_THRESHOLD,
          qualifies: isQualifyingScore(row.score),
          status: row.status,
          marketing_score: row.marketing_score,
          campaign_id: row.campaign_id,
          attribution: row.attribution ? (snakeKeys(row.attribution) as LeadScoreAttribution) : null,
          scored_at: iso(row.scored_at),
        },
      };
    },
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/sync`,
    summary: "Sync a lead from Marketing (seed 004): created when new; Marketing's score, campaign and attribution recorded when they changed",
    access: write,
    body: leadSyncBody,
    success: 200,
    response: leadResult,
    handle: (call) => {
      const leadId = call.params.id!;
      if (call.body.lead_id !== undefined && call.body.lead_id !== leadId) throw validation('lead_id differs from the path', { field: 'lead_id' });
      return onLead(call, leadId, (caller) => syncLeadFromMarketing(call.deps, caller, { ...marketingLeadInput(leadId, call.body), sourceEventId: null }), renderLead);
    },
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/qualify`,
    summary: 'Re-score; qualify at score >= 70, else disqualify',
    access: write,
    body: qualifyBody,
    success: 200,
    response: leadResult,
    ifMatch: true,
    handle: (call) =>
      onLead(call, call.params.id!, (caller) => qualifyLead(call.deps, caller, { leadId: call.params.id!, ...call.body }), (result) => ({
        ...renderLead(result),
        qualified: existingLead(result).status === 'qualified',
        updated_at: result.events.at(-1)?.timestamp ?? null,
      })),
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/convert`,
    summary: 'Convert a qualified lead: opportunity (and customer); 201, or 200 when already converted',
    access: write,
    body: convertBody,
    success: 201,
    response: conversionBody,
    ifMatch: true,
    handle: async (call) => {
      const leadId = call.params.id!;
      const caller = callerOf(call.req, call.res);
      const streamId = streamName({ category: leadAggregate.category, tenantId: caller.access.tenantId, aggregateId: leadId });
      // A claim left by a crash simply runs the saga again: it converges on the same outcome.
      await idempotentResponse(call.deps.db, call.req, call.res, streamId, async () =>
        conversionResponse(await convertLead(call.deps, caller, { leadId, ...call.body })),
      );
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/history`,
    summary: 'Audit trail of the lead, from its stream',
    access: read,
    success: 200,
    response: historyBody,
    handle: (call) => sendHistory(call.res, call.deps.store, { aggregate: leadAggregate, aggregateId: call.params.id!, label: 'Lead' }),
  }),
  endpoint({
    method: 'post',
    path: '/api/v1/territories/assign',
    summary: 'Assign a lead to a territory and owner (seed 004)',
    access: write,
    body: assignBody,
    success: 200,
    response: assignmentBody,
    ifMatch: true,
    handle: (call) =>
      onLead(call, call.body.leadId, (caller) => assignLead(call.deps, caller, call.body), (result) => {
        const s = existingLead(result);
        return { lead_id: s.leadId, territory_id: s.territoryId, assigned_to: s.ownerId, assigned_at: s.assignedAt };
      }),
  }),
];
