import { requireReach } from '../../access/policy.js';
import { readYourWrites } from '../../http/consistency.js';
import { listActivitiesQuery, listTasksQuery, workFilters } from '../../http/requests/activities.js';
import { listLeadsQuery } from '../../http/requests/leads.js';
import { listQuery } from '../../http/requests/opportunities.js';
import { listTerritoriesQuery } from '../../http/requests/admin.js';
import { pipelineQuery } from '../../http/requests/pipeline.js';
import { activitiesFor, tasksFor } from '../../projections/activityQueries.js';
import { leadsFor } from '../../projections/leadQueries.js';
import { opportunitiesFor } from '../../projections/opportunityQueries.js';
import { pipelineFor } from '../../projections/pipelineQueries.js';
import { listTerritories } from '../../projections/territoryQueries.js';
import type { GraphQLContext } from '../context.js';
import { parseInput } from '../input.js';
import { READ_MODELS } from '../readModels.js';
import { activityNode, connection, leadNode, opportunityNode, taskNode, territoryNode } from '../nodes.js';

/**
 * The seed 004 queries: the same access checks, read-model queries and input rules as the REST
 * lists. X-Min-Position gives read-your-writes as on REST (a mutation here waits by itself).
 */
type Args = Readonly<Record<string, unknown>>;
const TERRITORIES_MAX = 500;

/** The list arguments of activities and tasks as the REST query string spells them. */
const workArgs = ({ dueBefore, dueAfter, overdue, ...args }: Args): Args => ({
  ...args,
  ...(dueBefore instanceof Date ? { dueBefore: dueBefore.toISOString() } : {}),
  ...(dueAfter instanceof Date ? { dueAfter: dueAfter.toISOString() } : {}),
  ...(typeof overdue === 'boolean' ? { overdue: String(overdue) } : {}),
});

/** X-Min-Position: waits for each read model the answer comes from (see READ_MODELS), as REST does. */
const caughtUp = (ctx: GraphQLContext, models: readonly string[]) => readYourWrites(ctx, ...models);

export const Query = {
  async leads(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'lead', 'read');
    const q = parseInput(listLeadsQuery, args, 'leads');
    await caughtUp(ctx, READ_MODELS.lead);
    const { rows, total } = await leadsFor(ctx.deps.db, ctx.access, { status: q.status, ownerId: q.assigned_to, territoryId: q.territory_id }, q);
    return connection(rows.map(leadNode), total, q);
  },

  async opportunities(_: unknown, { expectedCloseDateRange, ...args }: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'opportunity', 'read');
    const range = (expectedCloseDateRange ?? {}) as { from?: string; to?: string };
    const q = parseInput(listQuery, { ...args, expectedCloseFrom: range.from, expectedCloseTo: range.to }, 'opportunities');
    await caughtUp(ctx, READ_MODELS.opportunity);
    const filters = { stage: q.stage, ownerId: q.owner_id, expectedCloseFrom: q.expected_close_from, expectedCloseTo: q.expected_close_to };
    const { rows, total } = await opportunitiesFor(ctx.deps, ctx.access, filters, q);
    return connection(rows.map(opportunityNode), total, q);
  },

  async pipeline(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'opportunity', 'read');
    const q = parseInput(pipelineQuery, args, 'pipeline');
    await caughtUp(ctx, READ_MODELS.pipeline);
    return pipelineFor(ctx.deps, ctx.access, q);
  },

  async territories(_: unknown, { isActive, ...args }: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'territory', 'read');
    const q = parseInput(listTerritoriesQuery, { ...args, ...(typeof isActive === 'boolean' ? { isActive: String(isActive) } : {}) }, 'territories');
    await caughtUp(ctx, READ_MODELS.territory);
    const { rows } = await listTerritories(ctx.deps.db, ctx.access.tenantId, { ownerId: q.owner_id, active: q.is_active }, { limit: TERRITORIES_MAX, offset: 0 });
    return rows.map(territoryNode);
  },

  async activities(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'activity', 'read');
    const q = parseInput(listActivitiesQuery, workArgs(args), 'activities');
    await caughtUp(ctx, READ_MODELS.activity);
    const now = new Date();
    const filters = workFilters(q, q.owner_id, now);
    const { rows, total } = await activitiesFor(ctx.deps.db, ctx.access, filters, q);
    return connection(rows.map((r) => activityNode(r, now)), total, q);
  },

  async tasks(_: unknown, args: Args, ctx: GraphQLContext) {
    requireReach(ctx.access, 'task', 'read');
    const q = parseInput(listTasksQuery, workArgs(args), 'tasks');
    await caughtUp(ctx, READ_MODELS.task);
    const now = new Date();
    const filters = workFilters(q, q.assigned_to, now);
    const { rows, total } = await tasksFor(ctx.deps.db, ctx.access, filters, q);
    return connection(rows.map((r) => taskNode(r, now)), total, q);
  },
};
