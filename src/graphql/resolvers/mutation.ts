import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { requireReach } from '../../access/policy.js';
import {
  cancelActivity,
  cancelTask,
  completeActivity,
  completeTask,
  createActivity,
  createTask,
  reassignActivity,
  reassignTask,
  reopenActivity,
  reopenTask,
  updateActivity,
  updateTask,
} from '../../commands/activities.js';
import { createForecast } from '../../commands/forecasts.js';
import { convertLead } from '../../commands/leadConversion.js';
import { assignLead, captureLead } from '../../commands/leads.js';
import { changeStage, createOpportunity } from '../../commands/opportunities.js';
import { assignOpportunityTerritory } from '../../commands/territories.js';
import { type Position, formatPosition } from '../../eventstore/port.js';
import { id } from '../../http/fields.js';
import {
  completeActivityBody,
  completeTaskBody,
  createActivityBody,
  createTaskBody,
  reasonBody,
  reassignActivityBody,
  reassignTaskBody,
  updateActivityBody,
  updateTaskBody,
} from '../../http/requests/activities.js';
import { createForecastBody } from '../../http/requests/forecasts.js';
import { assignBody, convertBody, createLeadBody } from '../../http/requests/leads.js';
import { createOpportunityBody, territoryBody } from '../../http/requests/opportunities.js';
import { getActivity, getTask } from '../../projections/activityQueries.js';
import { getForecast } from '../../projections/forecastQueries.js';
import { getLead } from '../../projections/leadQueries.js';
import { getOpportunity } from '../../projections/opportunityQueries.js';
import { DomainError, validation } from '../../shared/errors.js';
import type { GraphQLContext } from '../context.js';
import { parseInput } from '../input.js';
import { READ_MODELS } from '../readModels.js';
import { activityNode, forecastNode, leadNode, opportunityNode, taskNode } from '../nodes.js';

/**
 * The seed 004 mutations: each the REST use case with the REST input rules, answered from the
 * read model once it holds the write (so what a mutation returns is what a query returns next).
 */
type Args = Readonly<Record<string, unknown>>;
const input = (args: Args) => (args.input ?? {}) as Record<string, unknown>;

/** Waits until every read model of the answer holds the write; the write stands either way, so a timeout says so. */
async function written<R>(ctx: GraphQLContext, models: readonly string[], at: { id: string; position: Position | undefined }, read: () => Promise<R | undefined>): Promise<R> {
  const { position } = at;
  const outcomes = position ? await Promise.all(models.map((m) => ctx.deps.runner.waitFor(m, position, ctx.deps.maxConsistencyWaitMs))) : [];
  const row = outcomes.every((o) => o === 'reached') ? await read() : undefined;
  if (row === undefined) {
    throw new DomainError('SERVICE_UNAVAILABLE', 'The change was recorded; its read model has not caught up yet: query it again shortly', {
      id: at.id,
      position: at.position ? formatPosition(at.position) : null,
    });
  }
  return row;
}

const opportunityAt = async (ctx: GraphQLContext, opportunityId: string, position: Position | undefined) =>
  opportunityNode(await written(ctx, READ_MODELS.opportunity, { id: opportunityId, position }, () => getOpportunity(ctx.deps.db, ctx.access.tenantId, opportunityId)));

const leadAt = async (ctx: GraphQLContext, leadId: string, position: Position | undefined) =>
  leadNode(await written(ctx, READ_MODELS.lead, { id: leadId, position }, () => getLead(ctx.deps.db, ctx.access.tenantId, leadId)));

const activityAt = async (ctx: GraphQLContext, activityId: string, position: Position | undefined) =>
  activityNode(await written(ctx, READ_MODELS.activity, { id: activityId, position }, () => getActivity(ctx.deps.db, ctx.access.tenantId, activityId)));

const taskAt = async (ctx: GraphQLContext, taskId: string, position: Position | undefined) =>
  taskNode(await written(ctx, READ_MODELS.task, { id: taskId, position }, () => getTask(ctx.deps.db, ctx.access.tenantId, taskId)));

/** The id argument of a command on one activity or task, checked as REST checks its path. */
const idOf = (args: Args, at: string) => parseInput(z.object({ id }), { id: args.id }, at).id;
/** The other arguments of such a command (everything but its id). */
const rest = ({ id: _id, ...others }: Args): Args => others;

type Resolver = (parent: unknown, args: Args, ctx: GraphQLContext) => Promise<unknown>;
type Written = { readonly aggregateId: string; readonly position: Position | undefined };

/** How a mutation on activities or tasks answers: the resource the caller needs write on, and the record once written. */
const ACTIVITY = { resource: 'activity', at: activityAt } as const;
const TASK = { resource: 'task', at: taskAt } as const;

/**
 * One mutation on an activity or a task, as data: what it answers with, where its input is (the
 * `input` argument, parsed as 'input', or the other arguments, parsed under the mutation's name;
 * none for a command without input), the REST request schema that parses it, and the use case.
 * A creation (`id: 'in input'`) takes its id from the input; the others from the `id` argument.
 */
interface WorkMutation<I> {
  readonly answer: typeof ACTIVITY | typeof TASK;
  readonly id: 'in input' | 'argument';
  readonly input?: { readonly from: 'input' | 'args'; readonly schema: z.ZodType<I> };
  readonly run: (app: GraphQLContext['deps'], caller: GraphQLContext['caller'], id: string, input: I) => Promise<Written>;
}

/** The resolver of a work mutation: access, id, input, use case, then the record from its read model. */
function resolverOf<I>(name: string, m: WorkMutation<I>): Resolver {
  return async (_, args, ctx) => {
    requireReach(ctx.access, m.answer.resource, 'write');
    const recordId = m.id === 'argument' ? idOf(args, name) : '';
    const parsed = m.input && (m.input.from === 'input' ? parseInput(m.input.schema, input(args), 'input') : parseInput(m.input.schema, rest(args), name));
    const result = await m.run(ctx.deps, ctx.caller, recordId, parsed as I);
    return m.answer.at(ctx, m.id === 'argument' ? recordId : result.aggregateId, result.position);
  };
}

const work = <I>(m: WorkMutation<I>) => m;

/** Seed 003's activity and task mutations: the REST use cases and input rules, answered from the read models. */
const WORK_MUTATIONS = {
  createActivity: work({ answer: ACTIVITY, id: 'in input', input: { from: 'input', schema: createActivityBody }, run: (app, caller, _id, i) => createActivity(app, caller, i) }),
  updateActivity: work({ answer: ACTIVITY, id: 'argument', input: { from: 'input', schema: updateActivityBody }, run: updateActivity }),
  completeActivity: work({ answer: ACTIVITY, id: 'argument', input: { from: 'args', schema: completeActivityBody }, run: completeActivity }),
  reopenActivity: work({ answer: ACTIVITY, id: 'argument', run: (app, caller, activityId) => reopenActivity(app, caller, activityId) }),
  cancelActivity: work({ answer: ACTIVITY, id: 'argument', input: { from: 'args', schema: reasonBody }, run: cancelActivity }),
  reassignActivity: work({ answer: ACTIVITY, id: 'argument', input: { from: 'args', schema: reassignActivityBody }, run: reassignActivity }),
  createTask: work({ answer: TASK, id: 'in input', input: { from: 'input', schema: createTaskBody }, run: (app, caller, _id, i) => createTask(app, caller, i) }),
  updateTask: work({ answer: TASK, id: 'argument', input: { from: 'input', schema: updateTaskBody }, run: updateTask }),
  completeTask: work({ answer: TASK, id: 'argument', input: { from: 'args', schema: completeTaskBody }, run: completeTask }),
  reopenTask: work({ answer: TASK, id: 'argument', input: { from: 'args', schema: reasonBody }, run: reopenTask }),
  cancelTask: work({ answer: TASK, id: 'argument', input: { from: 'args', schema: reasonBody }, run: cancelTask }),
  reassignTask: work({ answer: TASK, id: 'argument', input: { from: 'args', schema: reassignTaskBody }, run: reassignTask }),
};

const workResolvers = Object.fromEntries(
  Object.entries(WORK_MUTATIONS).map(([name, m]) => [name, resolverOf(name, m as WorkMutation<unknown>)]),
) as Record<keyof typeof WORK_MUTATIONS, Resolver>;

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
    const row = await written(ctx, READ_MODELS.forecast, { id: result.aggregateId, position: result.position }, () => getForecast(ctx.deps.db, ctx.access.tenantId, result.aggregateId));
    return forecastNode(row, ctx.deps);
  },

  ...workResolvers,
};
