import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { type OpportunityState, opportunityAggregate } from '../../aggregates/opportunity/index.js';
import { findStage, normaliseStageCode, type StageSet } from '../../aggregates/pipelineStage/stages.js';
import type { CommandResult } from '../../commands/handler.js';
import { readModelAsOf } from '../../compliance/asOf.js';
import { streamName } from '../../eventstore/streams.js';
import { activeCreditHolds } from '../../projections/creditHolds.js';
import { type OpportunityRow, getOpportunity, listOpportunities } from '../../projections/opportunityQueries.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { snakeKeys } from '../../shared/case.js';
import { notFound } from '../../shared/errors.js';
import { requireOwnerInScope, scopeFor } from '../../access/policy.js';
import { loadReadable } from '../../commands/load.js';
import { accessOf, can } from '../auth.js';
import { type CommandRouteDeps, etagOf, runCommand } from '../commandRoute.js';
import { awaitReadModel } from '../consistency.js';
import { sendHistory } from '../history.js';
import { amount, asOfQuery, currency, id, integer, isoDate, metadata, pagination, text, minPosition, userId } from '../fields.js';
import type { ApiRoute } from '../openapi.js';
import { type Unwritten, historyBody } from '../responses/common.js';
import { opportunityBody, opportunityPage, opportunityResult } from '../responses/opportunities.js';

export interface OpportunityRouteDeps extends CommandRouteDeps {
  readonly runner: ProjectionRunner;
  readonly stageSetFor: (tenantId: string) => Promise<StageSet>;
  readonly maxConsistencyWaitMs: number;
}

const stage = z.string().trim().min(1).max(64);

export const createOpportunityBody = z
  .strictObject({
    id: id.optional(),
    opportunity_id: id.optional(),
    name: text(200).optional(),
    customer_id: id.optional(),
    account_id: id.optional(),
    lead_id: id.optional(),
    territory_id: id.optional(),
    stage: stage.optional(),
    amount,
    currency: currency.default('USD'),
    expected_close_date: isoDate.optional(),
    probability: integer(0, 100).optional(),
    owner_id: userId.optional(),
    products: z
      .array(z.strictObject({ product_id: id, quantity: integer(1, 1_000_000_000), unit_price: amount }))
      .max(500)
      .optional(),
    metadata: metadata.optional(),
  })
  .refine((b) => b.customer_id ?? b.account_id, { message: 'customer_id (or account_id) is required', path: ['customer_id'] })
  .refine((b) => !(b.id && b.opportunity_id && b.id !== b.opportunity_id), { message: 'id and opportunity_id differ', path: ['id'] })
  .refine((b) => !(b.customer_id && b.account_id && b.customer_id !== b.account_id), {
    message: 'customer_id and account_id differ',
    path: ['account_id'],
  });

export const changeStageBody = z.strictObject({
  stage,
  probability: integer(0, 100).optional(),
  next_step: text(500).optional(),
  notes: text(4000).optional(),
  reason: text(500).optional(),
});

export const closeBody = z.strictObject({
  outcome: z.enum(['won', 'lost']),
  close_date: isoDate.optional(),
  reason: text(500).optional(),
});

export const reassignBody = z.strictObject({ owner_id: userId, reason: text(500).optional() });

export const updateBody = z
  .strictObject({
    amount: amount.optional(),
    currency: currency.optional(),
    expected_close_date: isoDate.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update: give amount, currency or expected_close_date' });

export const listQuery = pagination.extend({
  stage: stage.optional(),
  owner_id: userId.optional(),
  customer_id: id.optional(),
  account_id: id.optional(),
  territory_id: id.optional(),
  lead_id: id.optional(),
  status: z.enum(['open', 'won', 'lost']).optional(),
  min_position: minPosition,
});

export function opportunityDto(row: OpportunityRow): z.input<typeof opportunityBody> {
  return {
    id: row.opportunity_id,
    name: row.name,
    customer_id: row.customer_id,
    lead_id: row.lead_id,
    territory_id: row.territory_id,
    owner_id: row.owner_id,
    stage: row.stage,
    status: row.status,
    probability: row.probability,
    amount: row.amount,
    currency: row.currency.trim(),
    expected_close_date: row.expected_close_date,
    close_date: row.close_date,
    lost_reason: row.lost_reason,
    next_step: row.next_step,
    // Sales' latest quote for this deal (QuoteCreatedEvent), when one was attached.
    pricing: row.quote_id
      ? { quote_id: row.quote_id, amount: row.quote_amount, currency: row.quote_currency?.trim() ?? null, valid_until: row.quote_valid_until }
      : null,
    products: snakeKeys(row.products),
    metadata: row.metadata,
    revision: row.revision,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The command's outcome, from the aggregate's own state (the read model may lag). */
function renderState(result: CommandResult<OpportunityState>): Unwritten<typeof opportunityResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return {
    id: s.opportunityId,
    customer_id: s.customerId,
    owner_id: s.ownerId,
    stage: s.stage,
    status: s.status,
    probability: s.probability,
    amount: s.amount,
    currency: s.currency,
    expected_close_date: s.expectedCloseDate,
    next_step: s.nextStep,
    updated_at: result.events.at(-1)?.timestamp ?? null,
  };
}

export function opportunityRoutes(deps: OpportunityRouteDeps): Router {
  const r = Router();

  r.post('/', can('opportunity', 'write'), async (req, res) => {
    const b = createOpportunityBody.parse(req.body ?? {});
    const { tenantId } = accessOf(res);
    const opportunityId = b.id ?? b.opportunity_id ?? randomUUID();
    const stages = await deps.stageSetFor(tenantId);
    await runCommand(deps, req, res, {
      aggregate: opportunityAggregate,
      aggregateId: opportunityId,
      status: 201,
      location: `${req.baseUrl}/${encodeURIComponent(opportunityId)}`,
      command: {
        type: 'CreateOpportunity',
        stages,
        opportunityId,
        name: b.name ?? opportunityId,
        customerId: (b.customer_id ?? b.account_id)!,
        ...(b.lead_id ? { leadId: b.lead_id } : {}),
        ...(b.territory_id ? { territoryId: b.territory_id } : {}),
        ...(b.owner_id ? { ownerId: b.owner_id } : {}),
        stage: b.stage ?? stages.stages.find((s) => s.kind === 'open')?.code ?? '',
        amount: b.amount,
        currency: b.currency,
        ...(b.probability !== undefined ? { probability: b.probability } : {}),
        ...(b.expected_close_date ? { expectedCloseDate: b.expected_close_date } : {}),
        ...(b.products
          ? { products: b.products.map((p) => ({ productId: p.product_id, quantity: p.quantity, unitPrice: p.unit_price })) }
          : {}),
        ...(b.metadata ? { metadata: b.metadata } : {}),
      },
      render: renderState,
    });
  });

  r.put('/:id/stage', can('opportunity', 'write'), async (req, res) => {
    const b = changeStageBody.parse(req.body ?? {});
    const opportunityId = id.parse(req.params.id);
    await runCommand(deps, req, res, {
      aggregate: opportunityAggregate,
      aggregateId: opportunityId,
      status: 200,
      command: {
        type: 'ChangeStage',
        stages: await deps.stageSetFor(accessOf(res).tenantId),
        stage: b.stage,
        ...(b.probability !== undefined ? { probability: b.probability } : {}),
        ...(b.next_step ? { nextStep: b.next_step } : {}),
        ...(b.notes ? { notes: b.notes } : {}),
        ...(b.reason ? { lostReason: b.reason } : {}),
        creditHolds: await activeCreditHolds(deps.db, accessOf(res).tenantId),
      },
      render: renderState,
    });
  });

  r.post('/:id/close', can('opportunity', 'write'), async (req, res) => {
    const b = closeBody.parse(req.body ?? {});
    const opportunityId = id.parse(req.params.id);
    await runCommand(deps, req, res, {
      aggregate: opportunityAggregate,
      aggregateId: opportunityId,
      status: 200,
      command: {
        type: 'CloseOpportunity',
        stages: await deps.stageSetFor(accessOf(res).tenantId),
        outcome: b.outcome,
        ...(b.close_date ? { closeDate: b.close_date } : {}),
        ...(b.reason ? { reason: b.reason } : {}),
        creditHolds: await activeCreditHolds(deps.db, accessOf(res).tenantId),
      },
      render: renderState,
    });
  });

  // Ownership changes hands: the policy lets a manager move deals within its team, an admin anywhere.
  r.put('/:id/owner', can('opportunity', 'write'), async (req, res) => {
    const b = reassignBody.parse(req.body ?? {});
    const opportunityId = id.parse(req.params.id);
    await runCommand(deps, req, res, {
      aggregate: opportunityAggregate,
      aggregateId: opportunityId,
      status: 200,
      command: { type: 'ReassignOpportunity', ownerId: b.owner_id, ...(b.reason ? { reason: b.reason } : {}) },
      render: renderState,
    });
  });

  r.patch('/:id', can('opportunity', 'write'), async (req, res) => {
    const b = updateBody.parse(req.body ?? {});
    const opportunityId = id.parse(req.params.id);
    await runCommand(deps, req, res, {
      aggregate: opportunityAggregate,
      aggregateId: opportunityId,
      status: 200,
      command: {
        type: 'UpdateOpportunity',
        ...(b.amount !== undefined ? { amount: b.amount } : {}),
        ...(b.currency !== undefined ? { currency: b.currency } : {}),
        ...(b.expected_close_date !== undefined ? { expectedCloseDate: b.expected_close_date } : {}),
      },
      render: renderState,
    });
  });

  r.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const access = accessOf(res);
    const owners = scopeFor(access, 'opportunity', q.owner_id);
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    const { tenantId } = access;
    const customerId = q.customer_id ?? q.account_id;
    // A customer filter also follows merges, which the customers read model knows.
    if (customerId) await awaitReadModel(req, res, deps.runner, 'customers', deps.maxConsistencyWaitMs);
    // The filter reads a stage the way commands do: any case, aliases resolved.
    const stageCode = q.stage ? (findStage(await deps.stageSetFor(tenantId), q.stage)?.code ?? normaliseStageCode(q.stage)) : undefined;
    const { rows, total } = await listOpportunities(
      deps.db,
      tenantId,
      {
        owners,
        ...(stageCode ? { stage: stageCode } : {}),
        ...(q.owner_id ? { ownerId: q.owner_id } : {}),
        ...(customerId ? { customerId } : {}),
        ...(q.territory_id ? { territoryId: q.territory_id } : {}),
        ...(q.lead_id ? { leadId: q.lead_id } : {}),
        ...(q.status ? { status: q.status } : {}),
      },
      { limit: q.limit, offset: q.offset },
    );
    res.json({
      data: rows.map(opportunityDto),
      pagination: { total, limit: q.limit, offset: q.offset, has_more: q.offset + rows.length < total },
    });
  });

  r.get('/:id', async (req, res) => {
    const opportunityId = id.parse(req.params.id);
    const access = accessOf(res);
    const { tenantId } = access;
    const moment = asOfQuery.parse(req.query);
    if (moment) {
      // Readable by whoever may read the deal today.
      await loadReadable(deps.store, access, opportunityAggregate, opportunityId, 'Opportunity');
      // Compliance: the same answer as GET gave then, recomputed from the stream up to that moment.
      const stream = streamName({ category: opportunityAggregate.category, tenantId, aggregateId: opportunityId });
      const past = await readModelAsOf(deps, opportunitiesProjection, { streamId: stream }, moment, (trx) =>
        getOpportunity(trx, tenantId, opportunityId),
      );
      if (!past) throw notFound(`Opportunity ${opportunityId} did not exist at that moment`, { id: opportunityId });
      res.setHeader('ETag', etagOf(past.revision));
      res.json(opportunityDto(past));
      return;
    }
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    const row = await getOpportunity(deps.db, tenantId, opportunityId);
    if (!row) throw notFound(`Opportunity ${opportunityId} not found`, { id: opportunityId });
    requireOwnerInScope(access, 'opportunity', 'read', row.owner_id);
    res.setHeader('ETag', etagOf(row.revision));
    res.json(opportunityDto(row));
  });

  r.get('/:id/history', async (req, res) => {
    const aggregateId = id.parse(req.params.id);
    await sendHistory(res, deps.store, { aggregate: opportunityAggregate, aggregateId, label: 'Opportunity' }, (e) => {
      const p = e.payload as Record<string, unknown>;
      const text = (v: unknown) => (typeof v === 'string' ? v : null);
      return {
        from_stage: text(p.fromStage),
        to_stage: text(p.toStage) ?? text(p.stage),
        ...(e.eventType === 'OpportunityReassignedEvent' ? { from_owner: text(p.fromOwnerId), to_owner: text(p.toOwnerId) } : {}),
      };
    });
  });

  return r;
}

export const opportunityApi: readonly ApiRoute[] = [
  { method: 'post', path: '/api/v1/opportunities', summary: 'Create an opportunity', body: createOpportunityBody, success: 201, response: opportunityResult, access: ['opportunity', 'write'] },
  { method: 'put', path: '/api/v1/opportunities/{id}/stage', summary: 'Change the stage', body: changeStageBody, success: 200, response: opportunityResult, access: ['opportunity', 'write'], ifMatch: true },
  { method: 'post', path: '/api/v1/opportunities/{id}/close', summary: 'Close as won or lost', body: closeBody, success: 200, response: opportunityResult, access: ['opportunity', 'write'], ifMatch: true },
  { method: 'put', path: '/api/v1/opportunities/{id}/owner', summary: 'Reassign to another owner (a manager within its team, an admin anywhere)', body: reassignBody, success: 200, response: opportunityResult, access: ['opportunity', 'write'], ifMatch: true },
  { method: 'patch', path: '/api/v1/opportunities/{id}', summary: 'Update amount, currency or expected close date', body: updateBody, success: 200, response: opportunityResult, access: ['opportunity', 'write'], ifMatch: true },
  { method: 'get', path: '/api/v1/opportunities', summary: 'List opportunities (read model)', query: listQuery, success: 200, response: opportunityPage, access: ['opportunity', 'read'] },
  { method: 'get', path: '/api/v1/opportunities/{id}', summary: 'One opportunity (read model); as_of / as_of_revision: as it was then', query: asOfQuery, success: 200, response: opportunityBody, access: ['opportunity', 'read'] },
  { method: 'get', path: '/api/v1/opportunities/{id}/history', summary: 'Audit trail of the opportunity, from its stream', success: 200, response: historyBody, access: ['opportunity', 'read'] },
];

