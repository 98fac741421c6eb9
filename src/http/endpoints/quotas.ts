import { quotaAggregate } from '../../aggregates/quota/index.js';
import type { Caller } from '../../commands/context.js';
import { type QuotaResult, quotaIdFor, setQuota, updateQuota } from '../../commands/quotas.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { getQuota, measureOfRow, quotaFigures, quotasFor } from '../../projections/quotaQueries.js';
import { quotasProjection } from '../../projections/quotas.js';
import { commandReply, etagOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { asOfQuery } from '../fields.js';
import { sendHistory } from '../history.js';
import { readRow } from '../readRow.js';
import { quotaDto, renderQuota } from '../render/quotas.js';
import { listQuotasQuery, setQuotaBody, updateQuotaBody } from '../requests/quotas.js';
import { historyBody } from '../responses/common.js';
import { quotaBody, quotaPage, quotaResult } from '../responses/quotas.js';

const BASE = '/api/v1/quotas';
const write = ['quota', 'write'] as const;
const read = ['quota', 'read'] as const;

const onQuota = (call: Call<unknown, unknown, ApiDeps>, id: string, run: (caller: Caller) => Promise<QuotaResult>) =>
  commandReply(call, { aggregate: quotaAggregate, aggregateId: id, status: 200, run, render: renderQuota });

/** The figures read from the opportunities read model: a client's own deal writes first (min_position). */
async function withFigures(call: Call<unknown, unknown, ApiDeps>, rows: readonly Parameters<typeof quotaDto>[0][]) {
  await readYourWrites(call, opportunitiesProjection.name);
  const stages = await call.deps.stageSetFor(call.access.tenantId);
  return Promise.all(rows.map(async (row) => quotaDto(row, await quotaFigures(call.deps.db, stages, measureOfRow(row), row.amount))));
}

/**
 * Quotas (seed 004 sales.quotas): one per owner or territory and period. Setting the same target
 * and period again updates it (the id derives from them). Attainment and quota-based coverage
 * are computed when read; QuotaAttainedEvent comes from the quota-attainment workflow.
 */
export const quotaEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'put',
    path: BASE,
    summary: 'Set the quota of an owner or a territory for a period: creates it, or updates the existing one (managers within their teams, admins)',
    access: write,
    body: setQuotaBody,
    success: 200,
    response: quotaResult,
    handle: (call) => onQuota(call, quotaIdFor(call.body), (caller) => setQuota(call.deps, caller, call.body)),
  }),
  endpoint({
    method: 'get',
    path: BASE,
    summary: 'List the quotas the caller may see, with attainment and coverage (owner_id, territory_id, period)',
    access: read,
    query: listQuotasQuery,
    success: 200,
    response: quotaPage,
    handle: async (call) => {
      await readYourWrites(call, quotasProjection.name);
      const q = call.query;
      const { rows, total } = await quotasFor(call.deps.db, call.access, { ownerId: q.owner_id, territoryId: q.territory_id, period: q.period?.code }, q);
      return { body: paged(await withFigures(call, rows), total, q) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}`,
    summary: 'One quota with attainment and quota-based coverage; as_of / as_of_revision: the quota as it was then (no figures)',
    access: read,
    query: asOfQuery,
    success: 200,
    response: quotaBody,
    handle: async (call) => {
      const row = await readRow(call, { aggregate: quotaAggregate, projection: quotasProjection, label: 'Quota', moment: call.query, get: getQuota, ownerOf: (r) => r.owner_id });
      const headers = { ETag: etagOf(row.revision) };
      if (call.query) return { headers, body: quotaDto(row) };
      const [body] = await withFigures(call, [row]);
      return { headers, body };
    },
  }),
  endpoint({
    method: 'patch',
    path: `${BASE}/{id}`,
    summary: 'Change the amount or currency of a quota',
    access: write,
    body: updateQuotaBody,
    success: 200,
    response: quotaResult,
    ifMatch: true,
    handle: (call) => onQuota(call, call.params.id!, (caller) => updateQuota(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/history`,
    summary: 'Audit trail of the quota, from its stream',
    access: read,
    success: 200,
    response: historyBody,
    handle: (call) => sendHistory(call.res, call.deps.store, { aggregate: quotaAggregate, aggregateId: call.params.id!, label: 'Quota' }),
  }),
];
