import { randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import {
  type LeadState,
  QUALIFICATION_THRESHOLD,
  isQualifyingScore,
  leadAggregate,
  parseTimeline,
} from '../../aggregates/lead/index.js';
import type { StageSet } from '../../aggregates/pipelineStage/stages.js';
import { type ConvertLeadOutcome, type SagaEnvelope, convertLead } from '../../commands/convertLead.js';
import type { CommandResult } from '../../commands/handler.js';
import type { StoredResponse } from '../../commands/idempotency.js';
import { formatPosition } from '../../eventstore/port.js';
import { streamName } from '../../eventstore/streams.js';
import { readModelAsOf } from '../../compliance/asOf.js';
import { type LeadRow, getLead, listLeads } from '../../projections/leadQueries.js';
import { leadsProjection } from '../../projections/leads.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { snakeKeys } from '../../shared/case.js';
import { notFound } from '../../shared/errors.js';
import { requireOwnerInScope, scopeFor } from '../../access/policy.js';
import { loadReadable } from '../../commands/load.js';
import { accessOf, can } from '../auth.js';
import { type CommandRouteDeps, commandEnvelope, etagOf, idempotentResponse, parseIfMatch, runCommand } from '../commandReply.js';
import { awaitReadModel } from '../consistency.js';
import { sendHistory } from '../history.js';
import { amount, asOfQuery, currency, id, integer, isoDate, metadata, oneOf, pagination, text, minPosition, userId } from '../fields.js';
import type { ApiRoute } from '../openapi.js';
import { type Unwritten, historyBody } from '../responses/common.js';
import { assignmentBody, conversionBody, leadBody, leadPage, leadResult, leadScoreBody } from '../responses/leads.js';

export interface LeadRouteDeps extends CommandRouteDeps {
  readonly runner: ProjectionRunner;
  readonly stageSetFor: (tenantId: string) => Promise<StageSet>;
  readonly maxConsistencyWaitMs: number;
}

const LEAD_STATUSES = ['new', 'qualified', 'unqualified', 'converted'] as const;

export const createLeadBody = z.strictObject({
  id: id.optional(),
  source: text(64),
  first_name: text(100).optional(),
  last_name: text(100).optional(),
  email: z.string().trim().max(254).pipe(z.email()),
  phone: text(40).optional(),
  company: text(200).optional(),
  title: text(200).optional(),
  industry: text(100).optional(),
  employee_count: integer(1, 100_000_000).optional(),
  annual_revenue: amount.optional(),
  /** The currency of annual_revenue; USD when revenue is given without one. */
  currency: currency.optional(),
  /** Marketing's own score (seed 004); kept as marketing_score, our rubric gives `score`. */
  score: integer(0, 100).optional(),
  metadata: metadata.optional(),
  assigned_to: userId.optional(),
  territory_id: id.optional(),
});

const timelineInput = z
  .union([integer(0, 120), z.string().trim().min(1).max(64)])
  .refine((t) => parseTimeline(t) !== undefined, {
    message: 'must be a number of months (0-120) or a label: immediate, this_month, this_quarter, next_quarter, this_half, this_year, next_year, none, "3-6 months"',
  });

export const qualifyBody = z.strictObject({
  timeline: timelineInput.optional(),
  notes: text(1000).optional(),
});

export const convertBody = z.strictObject({
  opportunity_name: text(200).optional(),
  amount,
  currency: currency.optional(),
  expected_close_date: isoDate.optional(),
  /** Any case; seed 004's "discovery" is PROSPECTING. Default: the first open stage. */
  stage: z.string().trim().min(1).max(64).optional(),
  probability: integer(0, 100).optional(),
  /** Attach to this existing customer; without it the conversion creates one. */
  customer_id: id.optional(),
});

export const assignBody = z.strictObject({
  lead_id: id,
  territory_id: id,
  reason: text(500),
  /** Defaults to the caller. */
  assigned_to: userId.optional(),
});

export const listLeadsQuery = pagination.extend({
  status: oneOf(LEAD_STATUSES, 'lower').optional(),
  assigned_to: userId.optional(),
  territory_id: id.optional(),
  source: z.string().trim().toLowerCase().pipe(z.string().min(1).max(64)).optional(),
  min_score: z.coerce.number().int().min(0).max(100).optional(),
  min_position: minPosition,
});

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Seed 004's list item, plus what else the read model knows; assigned_to is {id, name}. */
export function leadDto(row: LeadRow): z.input<typeof leadBody> {
  return {
    id: row.lead_id,
    status: row.status,
    source: row.source,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    phone: row.phone,
    company: row.company,
    title: row.title,
    industry: row.industry,
    employee_count: row.employee_count,
    annual_revenue: row.annual_revenue,
    currency: row.currency?.trim() ?? null,
    score: row.score,
    score_breakdown: snakeKeys(row.score_breakdown),
    marketing_score: row.marketing_score,
    // No user directory in this service: the name is unknown here.
    assigned_to: { id: row.owner_id, name: null },
    territory_id: row.territory_id,
    assigned_at: iso(row.assigned_at),
    opportunity_id: row.opportunity_id,
    customer_id: row.customer_id,
    converted_at: iso(row.converted_at),
    metadata: row.metadata,
    revision: row.revision,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

type Existing = Extract<LeadState, { exists: true }>;

function existing(result: CommandResult<LeadState>): Existing {
  if (!result.state.exists) throw new Error('lead command left no lead'); // every lead command needs one
  return result.state;
}

/** A command's outcome, from the lead's own state (the read model may lag). */
function renderLead(result: CommandResult<LeadState>): Unwritten<typeof leadResult> {
  const s = existing(result);
  return {
    id: s.leadId,
    status: s.status,
    assigned_to: s.ownerId,
    territory_id: s.territoryId,
    score: s.score,
    score_breakdown: snakeKeys(s.breakdown),
    marketing_score: s.marketingScore,
    qualification_threshold: QUALIFICATION_THRESHOLD,
    created_at: s.createdAt,
  };
}

function conversionResponse(base: string, o: ConvertLeadOutcome): StoredResponse {
  const headers: Record<string, string> = {
    ETag: etagOf(o.leadRevision),
    Location: `${base}/opportunities/${encodeURIComponent(o.opportunityId)}`,
  };
  if (o.position) headers['X-Event-Position'] = formatPosition(o.position);
  return {
    // 201 for the request that converted the lead; a repeat gets the same body with 200.
    status: o.convertedNow ? 201 : 200,
    headers,
    body: {
      opportunity_id: o.opportunityId,
      lead_id: o.leadId,
      customer_id: o.customerId,
      customer_created: o.customerCreated,
      status: 'converted',
      converted_at: o.convertedAt,
      revision: o.leadRevision.toString(),
      position: o.position ? formatPosition(o.position) : null,
    },
  };
}

export function leadRoutes(deps: LeadRouteDeps): Router {
  const r = Router();

  r.post('/', can('lead', 'write'), async (req, res) => {
    const b = createLeadBody.parse(req.body ?? {});
    const leadId = b.id ?? randomUUID();
    await runCommand(deps, req, res, {
      aggregate: leadAggregate,
      aggregateId: leadId,
      status: 201,
      location: `${req.baseUrl}/${encodeURIComponent(leadId)}`,
      command: {
        type: 'CreateLead',
        leadId,
        source: b.source,
        personalData: {
          firstName: b.first_name ?? null,
          lastName: b.last_name ?? null,
          email: b.email,
          phone: b.phone ?? null,
        },
        ...(b.company !== undefined ? { company: b.company } : {}),
        ...(b.title !== undefined ? { title: b.title } : {}),
        ...(b.industry !== undefined ? { industry: b.industry } : {}),
        ...(b.employee_count !== undefined ? { employeeCount: b.employee_count } : {}),
        ...(b.annual_revenue !== undefined ? { annualRevenue: b.annual_revenue } : {}),
        ...(b.currency !== undefined ? { currency: b.currency } : {}),
        ...(b.score !== undefined ? { marketingScore: b.score } : {}),
        ...(b.metadata !== undefined ? { metadata: b.metadata } : {}),
        ...(b.assigned_to !== undefined ? { ownerId: b.assigned_to } : {}),
        ...(b.territory_id !== undefined ? { territoryId: b.territory_id } : {}),
      },
      render: renderLead,
    });
  });

  r.get('/', async (req, res) => {
    const q = listLeadsQuery.parse(req.query);
    const access = accessOf(res);
    const owners = scopeFor(access, 'lead', q.assigned_to);
    await awaitReadModel(req, res, deps.runner, leadsProjection.name, deps.maxConsistencyWaitMs);
    const { rows, total } = await listLeads(
      deps.db,
      access.tenantId,
      {
        owners,
        ...(q.status ? { status: q.status } : {}),
        ...(q.assigned_to ? { ownerId: q.assigned_to } : {}),
        ...(q.territory_id ? { territoryId: q.territory_id } : {}),
        ...(q.source ? { source: q.source } : {}),
        ...(q.min_score !== undefined ? { minScore: q.min_score } : {}),
      },
      { limit: q.limit, offset: q.offset },
    );
    res.json({
      data: rows.map(leadDto),
      pagination: { total, limit: q.limit, offset: q.offset, has_more: q.offset + rows.length < total },
    });
  });

  const readRow = async (req: Request, res: Response): Promise<LeadRow> => {
    const leadId = id.parse(req.params.id);
    const access = accessOf(res);
    const { tenantId } = access;
    const moment = asOfQuery.parse(req.query);
    let row: LeadRow | undefined;
    if (moment) {
      await loadReadable(deps.store, access, leadAggregate, leadId, 'Lead');
      // As it stood then: the leads projection replayed over the stream up to that moment.
      const streamId = streamName({ category: leadAggregate.category, tenantId, aggregateId: leadId });
      row = await readModelAsOf(deps, leadsProjection, { streamId }, moment, (trx) => getLead(trx, tenantId, leadId));
    } else {
      await awaitReadModel(req, res, deps.runner, leadsProjection.name, deps.maxConsistencyWaitMs);
      row = await getLead(deps.db, tenantId, leadId);
    }
    if (!row) throw notFound(`Lead ${leadId} not found${moment ? ' at that moment' : ''}`, { id: leadId });
    if (!moment) requireOwnerInScope(access, 'lead', 'read', row.owner_id);
    res.setHeader('ETag', etagOf(row.revision));
    return row;
  };

  r.get('/:id', async (req, res) => {
    res.json(leadDto(await readRow(req, res)));
  });

  // Seed 004's upstream endpoint: the current score with how it was reached.
  r.get('/:id/score', async (req, res) => {
    const row = await readRow(req, res);
    res.json({
      lead_id: row.lead_id,
      score: row.score,
      breakdown: snakeKeys(row.score_breakdown),
      basis: snakeKeys(row.score_basis),
      rubric_version: row.rubric_version,
      qualification_threshold: QUALIFICATION_THRESHOLD,
      qualifies: isQualifyingScore(row.score),
      status: row.status,
      marketing_score: row.marketing_score,
      scored_at: iso(row.scored_at),
    });
  });

  r.post('/:id/qualify', can('lead', 'write'), async (req, res) => {
    const leadId = id.parse(req.params.id);
    const b = qualifyBody.parse(req.body ?? {});
    await runCommand(deps, req, res, {
      aggregate: leadAggregate,
      aggregateId: leadId,
      status: 200,
      command: {
        type: 'QualifyLead',
        ...(b.timeline !== undefined ? { timeline: b.timeline } : {}),
        ...(b.notes !== undefined ? { notes: b.notes } : {}),
      },
      render: (result) => {
        const s = existing(result);
        return { ...renderLead(result), qualified: s.status === 'qualified', updated_at: result.events.at(-1)?.timestamp ?? null };
      },
    });
  });

  r.post('/:id/convert', can('lead', 'write'), async (req, res) => {
    const leadId = id.parse(req.params.id);
    const b = convertBody.parse(req.body ?? {});
    const { aggregateId: _lead, ...env }: { aggregateId: string } & SagaEnvelope = commandEnvelope(req, res, leadId, parseIfMatch(req.get('if-match')));
    const stages = await deps.stageSetFor(env.access.tenantId);
    const run = async () =>
      conversionResponse(
        req.baseUrl.replace(/\/leads$/, ''),
        await convertLead(deps, env, {
          leadId,
          stages,
          ...(b.customer_id !== undefined ? { customerId: b.customer_id } : {}),
          opportunity: {
            stage: b.stage ?? stages.stages.find((s) => s.kind === 'open')?.code ?? '',
            amount: b.amount,
            ...(b.opportunity_name !== undefined ? { name: b.opportunity_name } : {}),
            ...(b.currency !== undefined ? { currency: b.currency } : {}),
            ...(b.probability !== undefined ? { probability: b.probability } : {}),
            ...(b.expected_close_date !== undefined ? { expectedCloseDate: b.expected_close_date } : {}),
          },
        }),
      );
    // A claim left by a crash simply runs the saga again: it converges on the same outcome.
    const streamId = streamName({ category: leadAggregate.category, tenantId: env.access.tenantId, aggregateId: leadId });
    await idempotentResponse(deps.db, req, res, streamId, run);
  });

  r.get('/:id/history', async (req, res) => {
    const aggregateId = id.parse(req.params.id);
    await sendHistory(res, deps.store, { aggregate: leadAggregate, aggregateId, label: 'Lead' });
  });

  return r;
}

/** POST /territories/assign: seed 004 puts lead assignment under territories. */
export function territoryRoutes(deps: LeadRouteDeps): Router {
  const r = Router();
  r.post('/assign', can('lead', 'write'), async (req, res) => {
    const b = assignBody.parse(req.body ?? {});
    await runCommand(deps, req, res, {
      aggregate: leadAggregate,
      aggregateId: b.lead_id,
      status: 200,
      command: {
        type: 'AssignLead',
        territoryId: b.territory_id,
        reason: b.reason,
        ...(b.assigned_to !== undefined ? { ownerId: b.assigned_to } : {}),
      },
      render: (result) => {
        const s = existing(result);
        return { lead_id: s.leadId, territory_id: s.territoryId, assigned_to: s.ownerId, assigned_at: s.assignedAt };
      },
    });
  });
  return r;
}

export const leadApi: readonly ApiRoute[] = [
  { method: 'post', path: '/api/v1/leads', summary: 'Capture a lead (scored at once by the seed 003 rubric)', body: createLeadBody, success: 201, response: leadResult, access: ['lead', 'write'] },
  { method: 'get', path: '/api/v1/leads', summary: 'List leads (read model)', query: listLeadsQuery, success: 200, response: leadPage, access: ['lead', 'read'] },
  { method: 'get', path: '/api/v1/leads/{id}', summary: 'One lead (read model); as_of / as_of_revision: as it was then', query: asOfQuery, success: 200, response: leadBody, access: ['lead', 'read'] },
  { method: 'get', path: '/api/v1/leads/{id}/score', summary: 'Current score and its breakdown; as_of / as_of_revision: as it was then', query: asOfQuery, success: 200, response: leadScoreBody, access: ['lead', 'read'] },
  { method: 'post', path: '/api/v1/leads/{id}/qualify', summary: 'Re-score; qualify at score >= 70, else disqualify', body: qualifyBody, success: 200, response: leadResult, access: ['lead', 'write'], ifMatch: true },
  { method: 'post', path: '/api/v1/leads/{id}/convert', summary: 'Convert a qualified lead: opportunity (and customer); 201, or 200 when already converted', body: convertBody, success: 201, response: conversionBody, access: ['lead', 'write'], ifMatch: true },
  { method: 'get', path: '/api/v1/leads/{id}/history', summary: 'Audit trail of the lead, from its stream', success: 200, response: historyBody, access: ['lead', 'read'] },
  { method: 'post', path: '/api/v1/territories/assign', summary: 'Assign a lead to a territory and owner', body: assignBody, success: 200, response: assignmentBody, access: ['lead', 'write'], ifMatch: true },
];
