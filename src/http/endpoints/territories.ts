import { territoryAggregate } from '../../aggregates/territory/index.js';
import type { Caller } from '../../commands/context.js';
import {
  type TerritoryResult,
  createTerritory,
  deactivateTerritory,
  reactivateTerritory,
  updateTerritory,
} from '../../commands/territories.js';
import { ASSIGNMENT_SCOPE_READ_MODELS, assignmentsFor, getTerritory, listTerritories } from '../../projections/territoryQueries.js';
import { territoriesProjection } from '../../projections/territories.js';
import { commandReply, etagOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { asOfQuery } from '../fields.js';
import { sendHistory } from '../history.js';
import { readRow } from '../readRow.js';
import { assignmentDto, renderTerritory, territoryDto } from '../render/admin.js';
import { assignmentsQuery, createTerritoryBody, listTerritoriesQuery, reasonBody, updateTerritoryBody } from '../requests/admin.js';
import { assignmentsPage, territoryBody, territoryPage, territoryResult } from '../responses/admin.js';
import { historyBody } from '../responses/common.js';

const BASE = '/api/v1/territories';
const write = ['territory', 'write'] as const;
const read = ['territory', 'read'] as const;

const onTerritory = (call: Call<unknown, unknown, ApiDeps>, run: (caller: Caller) => Promise<TerritoryResult>, status: 200 | 201 = 200, id = call.params.id!) =>
  commandReply(call, { aggregate: territoryAggregate, aggregateId: id, status, run, render: renderTerritory, ...(status === 201 ? { location: `${BASE}/${id}` } : {}) });

/**
 * Territories (seed 004): created, updated, deactivated by admins; leads (POST
 * /territories/assign) and deals (PUT /opportunities/{id}/territory) are assigned to them, each
 * assignment an event; the pipeline takes territory_id.
 */
export const territoryEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'post',
    path: BASE,
    summary: 'Create a territory: name, owner, region or rule (admin)',
    access: write,
    body: createTerritoryBody,
    success: 201,
    response: territoryResult,
    handle: (call) => onTerritory(call, (caller) => createTerritory(call.deps, caller, call.body), 201, call.body.territoryId),
  }),
  endpoint({
    method: 'get',
    path: BASE,
    summary: 'List territories (seed 004: ownerId, isActive)',
    access: read,
    query: listTerritoriesQuery,
    success: 200,
    response: territoryPage,
    handle: async (call) => {
      await readYourWrites(call, territoriesProjection.name);
      const { rows, total } = await listTerritories(call.deps.db, call.access.tenantId, { ownerId: call.query.owner_id, active: call.query.is_active }, call.query);
      return { body: paged(rows.map(territoryDto), total, call.query) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}`,
    summary: 'One territory; as_of / as_of_revision: as it was then',
    access: read,
    query: asOfQuery,
    success: 200,
    response: territoryBody,
    handle: async (call) => {
      const row = await readRow(call, { aggregate: territoryAggregate, projection: territoriesProjection, label: 'Territory', moment: call.query, get: getTerritory });
      return { headers: { ETag: etagOf(row.revision) }, body: territoryDto(row) };
    },
  }),
  endpoint({
    method: 'patch',
    path: `${BASE}/{id}`,
    summary: 'Rename, change the owner, region or rule (admin)',
    access: write,
    body: updateTerritoryBody,
    success: 200,
    response: territoryResult,
    ifMatch: true,
    handle: (call) => onTerritory(call, (caller) => updateTerritory(call.deps, caller, { territoryId: call.params.id!, ...call.body })),
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/deactivate`,
    summary: 'Deactivate: nothing new is assigned to it (admin)',
    access: write,
    body: reasonBody,
    success: 200,
    response: territoryResult,
    ifMatch: true,
    handle: (call) => onTerritory(call, (caller) => deactivateTerritory(call.deps, caller, call.params.id!, call.body.reason)),
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/reactivate`,
    summary: 'Reactivate (admin)',
    access: write,
    success: 200,
    response: territoryResult,
    ifMatch: true,
    handle: (call) => onTerritory(call, (caller) => reactivateTerritory(call.deps, caller, call.params.id!)),
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/assignments`,
    summary: 'Leads and deals assigned to or away from the territory, newest first (those the caller may see)',
    access: read,
    query: assignmentsQuery,
    success: 200,
    response: assignmentsPage,
    handle: async (call) => {
      await readYourWrites(call, territoriesProjection.name, ...ASSIGNMENT_SCOPE_READ_MODELS);
      const { rows, total } = await assignmentsFor(call.deps.db, call.access, call.params.id!, call.query);
      return { body: { territory_id: call.params.id!, ...paged(rows.map(assignmentDto), total, call.query) } };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/history`,
    summary: 'Audit trail of the territory, from its stream',
    access: read,
    success: 200,
    response: historyBody,
    handle: (call) => sendHistory(call.res, call.deps.store, { aggregate: territoryAggregate, aggregateId: call.params.id!, label: 'Territory' }),
  }),
];
