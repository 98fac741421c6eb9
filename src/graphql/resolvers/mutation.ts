import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { requireReach } from '../../access/policy.js';
import { createForecast } from '../../commands/forecasts.js';
import { convertLead } from '../../commands/leadConversion.js';
import { assignLead, captureLead } from '../../commands/leads.js';
import { changeStage, createOpportunity } from '../../commands/opportunities.js';
import { assignOpportunityTerritory } from '../../commands/territories.js';
import { type Position, formatPosition } from '../../eventstore/port.js';
import { id } from '../../http/fields.js';
import { createForecastBody } from '../../http/requests/forecasts.js';
import { assignBody, convertBody, createLeadBody } from '../../http/requests/leads.js';
import { createOpportunityBody, territoryBody } from '../../http/requests/opportunities.js';
import { getForecast } from '../../projections/forecastQueries.js';
import { forecastsProjection } from '../../projections/forecasts.js';
import { getLead } from '../../projections/leadQueries.js';
import { leadsProjection } from '../../projections/leads.js';
import { getOpportunity } from '../../projections/opportunityQueries.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { DomainError, validation } from '../../shared/errors.js';
import type { GraphQLContext } from '../context.js';
import { parseInput } from '../input.js';
import { forecastNode, leadNode, opportunityNode } from '../nodes.js';

/**
 * The seed 004 mutations: each the REST use case with the REST input rules, answered from the
 * read model once it holds the write (so what a mutation returns is what a query returns next).
 */
type Args = Readonly<Record<string, unknown>>;
const input = (args: Args) => (args.input ?? {}) as Record<string, unknown>;

/** Waits until `projection` holds the write; the write stands either way, so a timeout says so. */
async function written<R>(ctx: GraphQLContext, projection: string, at: { id: string; position: Position | undefined }, read: () => Promise<R | undefined>): Promise<R> {
  const { position } = at;
  const reached = position ? await ctx.deps.runner.waitFor(projection, position, ctx.deps.maxConsistencyWaitMs) : 'reached';
  const row = reached === 'reached' ? await read() : undefined;
  if (row === undefined) {
    throw new DomainError('SERVICE_UNAVAILABLE', 'The change was recorded; its read model has not caught up yet: query it again shortly', {
      id: at.id,
      position: at.position ? formatPosition(at.position) : null,
    });
  }
  return row;
}

const opportunityAt = async (ctx: GraphQLContext, opportunityId: string, position: Position | undefined) =>
  opportunityNode(await written(ctx, opportunitiesProjection.name, { id: opportunityId, position }, () => getOpportunity(ctx.deps.db, ctx.access.tenantId, opportunityId)));

const leadAt = async (ctx: GraphQLContext, leadId: string, position: Position | undefined) =>
  leadNode(await written(ctx, leadsProjection.name, { id: leadId, position }, () => getLead(ctx.deps.db, ctx.access.tenantId, leadId)));

export const Mutation = {
  async createLead(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'lead', 'write');
    const result = await captureLead(ctx.deps, ctx.caller, parseInput(createLeadBody, input(args), 'input'));
    return leadAt(ctx, result.aggregateId, result.position);
  },

  async convertLead(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'lead', 'write');
    const { lead_id: leadId } = parseInput(z.object({ lead_id: id }), { leadId: args.leadId }, 'convertLead');
    const outcome = await convertLead(ctx.deps, ctx.caller, { leadId, ...parseInput(convertBody, input(args), 'input') });
    return opportunityAt(ctx, outcome.opportunityId, outcome.position);
  },

  async createOpportunity(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'opportunity', 'write');
    const parsed = parseInput(createOpportunityBody, input(args), 'input');
    const result = await createOpportunity(ctx.deps, ctx.caller, { ...parsed, opportunityId: parsed.opportunityId ?? randomUUID() });
    return opportunityAt(ctx, result.aggregateId, result.position);
  },

  async updateOpportunityStage(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'opportunity', 'write');
    const { opportunity_id: opportunityId, stage } = parseInput(z.object({ opportunity_id: id, stage: z.string() }), args, 'updateOpportunityStage');
    const result = await changeStage(ctx.deps, ctx.caller, { opportunityId, stage });
    return opportunityAt(ctx, opportunityId, result.position);
  },

  async assignTerritory(_: unknown, args: Args, ctx: GraphQLContext) {
    const { leadId, opportunityId, ...rest } = input(args);
    if ((leadId == null) === (opportunityId == null)) {
      throw validation('Give exactly one of leadId and opportunityId', { fields: [{ field: 'input.leadId', message: 'give leadId or opportunityId' }] });
    }
    if (leadId != null) {
      requireReach(ctx.access, 'lead', 'write');
      const result = await assignLead(ctx.deps, ctx.caller, parseInput(assignBody, { ...rest, leadId }, 'input'));
      return { territoryId: rest.territoryId, lead: await leadAt(ctx, result.aggregateId, result.position), opportunity: null };
    }
    requireReach(ctx.access, 'opportunity', 'write');
    const { opportunity_id: deal } = parseInput(z.object({ opportunity_id: id }), { opportunityId }, 'input');
    if (rest.assignedTo != null) throw validation('An opportunity keeps its owner; reassign it separately', { fields: [{ field: 'input.assignedTo', message: 'only for leads' }] });
    const parsed = parseInput(territoryBody, { territoryId: rest.territoryId, reason: rest.reason }, 'input');
    const result = await assignOpportunityTerritory(ctx.deps, ctx.caller, { ...parsed, opportunityId: deal });
    return { territoryId: rest.territoryId, lead: null, opportunity: await opportunityAt(ctx, result.aggregateId, result.position) };
  },

  async createForecast(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'forecast', 'write');
    const result = await createForecast(ctx.deps, ctx.caller, parseInput(createForecastBody, input(args), 'input'));
    const row = await written(ctx, forecastsProjection.name, { id: result.aggregateId, position: result.position }, () => getForecast(ctx.deps.db, ctx.access.tenantId, result.aggregateId));
    return forecastNode(row, ctx.deps);
  },
};
