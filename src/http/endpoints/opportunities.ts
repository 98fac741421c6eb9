import { opportunityAggregate } from '../../aggregates/opportunity/index.js';
import type { Caller } from '../../commands/context.js';
import {
  type OpportunityResult,
  changeStage,
  closeOpportunity,
  createOpportunity,
  reassignOpportunity,
  updateOpportunity,
  setCommercialTerms,
} from '../../commands/opportunities.js';
import { getOpportunity, opportunitiesFor } from '../../projections/opportunityQueries.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { bulkUpdateOpportunities } from '../../commands/bulkOpportunities.js';
import { renewKey } from '../../commands/idempotency.js';
import { conflict, validation } from '../../shared/errors.js';
import { callerOf, commandReply, etagOf, idempotentResponse, keyOwnerOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { asOfQuery } from '../fields.js';
import { sendHistory } from '../history.js';
import { readRow } from '../readRow.js';
import { opportunityDto, renderBulk, renderOpportunity } from '../render/opportunities.js';
import { bulkBody } from '../requests/bulk.js';
import { commercialTermsBody } from '../requests/commercialTerms.js';
import { changeStageBody, closeBody, createOpportunityBody, listQuery, reassignBody, territoryBody, updateBody } from '../requests/opportunities.js';
import { assignOpportunityTerritory } from '../../commands/territories.js';
import { historyBody } from '../responses/common.js';
import { bulkResult, opportunityBody, opportunityPage, opportunityResult } from '../responses/opportunities.js';

const BASE = '/api/v1/opportunities';
const write = ['opportunity', 'write'] as const;
const read = ['opportunity', 'read'] as const;

/** A command on one opportunity: its use case, its answer. */
const onOpportunity = (status: 200 | 201, summary: string, method: 'post' | 'put' | 'patch', path: string) => ({
  method,
  path,
  summary,
  access: write,
  success: status,
  response: opportunityResult,
  ifMatch: status === 200,
});

export const opportunityEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    ...onOpportunity(201, 'Create an opportunity', 'post', BASE),
    body: createOpportunityBody,
    handle: async (call) => {
      const input = { ...call.body, opportunityId: call.body.opportunityId ?? crypto.randomUUID() };
      await commandReply(call, {
        aggregate: opportunityAggregate,
        aggregateId: input.opportunityId,
        status: 201,
        location: `${BASE}/${encodeURIComponent(input.opportunityId)}`,
        run: (caller) => createOpportunity(call.deps, caller, input),
        render: renderOpportunity,
      });
    },
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/bulk`,
    summary: 'Up to 1,000 stage changes, updates or reassignments in batches of 100; each item succeeds or fails on its own',
    access: write,
    body: bulkBody,
    success: 200,
    response: bulkResult,
    handle: async (call) => {
      if (call.req.get('if-match') !== undefined) {
        throw validation('If-Match names one resource; give if_match on each item instead', { header: 'If-Match' });
      }
      const caller = callerOf(call.req, call.res);
      const { items, ids } = call.body;
      const key = caller.idempotencyKey;
      // Each batch renews the key's claim, so a retry cannot take over a request still running.
      const onBatch = async () => {
        if (key !== undefined && !(await renewKey(call.deps.db, keyOwnerOf(call.res), key))) {
          throw conflict('A retry with this Idempotency-Key took the request over; read its answer with the same key', { idempotency_key: key });
        }
      };
      await idempotentResponse(call.deps.db, call.req, call.res, `bulk:${caller.access.tenantId}`, async (takeover) => ({
        status: 200,
        headers: {},
        body: renderBulk(await bulkUpdateOpportunities(call.deps, caller, items, { takeover, onBatch }), ids),
      }));
    },
  }),
  endpoint({
    ...onOpportunity(200, 'Change the stage', 'put', `${BASE}/{id}/stage`),
    body: changeStageBody,
    handle: (call) => reply(call, (caller) => changeStage(call.deps, caller, { opportunityId: call.params.id!, ...call.body })),
  }),
  endpoint({
    ...onOpportunity(200, 'Close as won or lost', 'post', `${BASE}/{id}/close`),
    body: closeBody,
    handle: (call) => reply(call, (caller) => closeOpportunity(call.deps, caller, { opportunityId: call.params.id!, ...call.body })),
  }),
  endpoint({
    ...onOpportunity(200, 'Reassign to another owner (a manager within its team, an admin anywhere)', 'put', `${BASE}/{id}/owner`),
    body: reassignBody,
    handle: (call) => reply(call, (caller) => reassignOpportunity(call.deps, caller, { opportunityId: call.params.id!, ...call.body })),
  }),
  endpoint({
    ...onOpportunity(200, 'Assign to a territory (a deactivated one refuses)', 'put', `${BASE}/{id}/territory`),
    body: territoryBody,
    handle: (call) => reply(call, (caller) => assignOpportunityTerritory(call.deps, caller, { opportunityId: call.params.id!, ...call.body })),
  }),
  endpoint({
    ...onOpportunity(200, 'Update amount, currency or expected close date', 'patch', `${BASE}/{id}`),
    body: updateBody,
    handle: (call) => reply(call, (caller) => updateOpportunity(call.deps, caller, { opportunityId: call.params.id!, ...call.body })),
  }),
  endpoint({
    ...onOpportunity(200, "Set the deal's commercial terms (billing and onboarding feeds)", 'put', `${BASE}/{id}/commercial-terms`),
    body: commercialTermsBody,
    handle: (call) => reply(call, (caller) => setCommercialTerms(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'get',
    path: BASE,
    summary: 'List the opportunities the caller may see (read model)',
    access: read,
    query: listQuery,
    success: 200,
    response: opportunityPage,
    handle: async (call) => {
      const q = call.query;
      const customerId = q.customer_id ?? q.account_id;
      // A customer filter also follows merges, which the customers read model knows.
      await readYourWrites(call, opportunitiesProjection.name, ...(customerId ? ['customers'] : []));
      const { rows, total } = await opportunitiesFor(
        call.deps,
        call.access,
        {
          stage: q.stage,
          ownerId: q.owner_id,
          customerId,
          territoryId: q.territory_id,
          leadId: q.lead_id,
          status: q.status,
          minDealScore: q.min_deal_score,
          maxDealScore: q.max_deal_score,
          expectedCloseFrom: q.expected_close_from,
          expectedCloseTo: q.expected_close_to,
          sort: q.sort,
        },
        q,
      );
      return { body: paged(rows.map(opportunityDto), total, q) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}`,
    summary: 'One opportunity (read model); as_of / as_of_revision: as it was then',
    access: read,
    query: asOfQuery,
    success: 200,
    response: opportunityBody,
    handle: async (call) => {
      const row = await readRow(call, {
        aggregate: opportunityAggregate,
        projection: opportunitiesProjection,
        label: 'Opportunity',
        moment: call.query,
        get: getOpportunity,
        ownerOf: (r) => r.owner_id,
      });
      return { headers: { ETag: etagOf(row.revision) }, body: opportunityDto(row) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/history`,
    summary: 'Audit trail of the opportunity, from its stream',
    access: read,
    success: 200,
    response: historyBody,
    handle: (call) =>
      sendHistory(call.res, call.deps.store, { aggregate: opportunityAggregate, aggregateId: call.params.id!, label: 'Opportunity' }, (e) => {
        const p = e.payload as Record<string, unknown>;
        const text = (v: unknown) => (typeof v === 'string' ? v : null);
        return {
          from_stage: text(p.fromStage),
          to_stage: text(p.toStage) ?? text(p.stage),
          ...(e.eventType === 'OpportunityReassignedEvent' ? { from_owner: text(p.fromOwnerId), to_owner: text(p.toOwnerId) } : {}),
          ...(e.eventType === 'OpportunityTerritoryAssignedEvent' ? { from_territory: text(p.fromTerritoryId), to_territory: text(p.toTerritoryId) } : {}),
        };
      }),
  }),
];

/** A command on the opportunity named in the path. */
function reply(call: Call<unknown, unknown, ApiDeps>, run: (caller: Caller) => Promise<OpportunityResult>) {
  return commandReply(call, { aggregate: opportunityAggregate, aggregateId: call.params.id!, status: 200, run, render: renderOpportunity });
}
