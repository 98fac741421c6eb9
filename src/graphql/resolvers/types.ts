import type { Pipeline } from '../../projections/pipelineQueries.js';
import type { GraphQLContext } from '../context.js';
import { type Node, territoryNode } from '../nodes.js';
import { DateScalar, DateTime, Money, OpportunityStage } from '../scalars.js';

/**
 * Fields that are records of their own, loaded in batches (one query per page, not per row),
 * and the enums' values as the read models spell them.
 */
const user = (id: unknown) => (typeof id === 'string' ? { id, name: null } : null);

async function territory(source: Node, _: unknown, ctx: GraphQLContext) {
  const id = source.territoryId;
  if (typeof id !== 'string') return null;
  const row = await ctx.loaders.territory.load(id);
  return row ? territoryNode(row) : null;
}

export const typeResolvers = {
  Money,
  Date: DateScalar,
  DateTime,
  OpportunityStage,
  LeadStatus: { NEW: 'new', QUALIFIED: 'qualified', UNQUALIFIED: 'unqualified', CONVERTED: 'converted' },
  OpportunityStatus: { OPEN: 'open', WON: 'won', LOST: 'lost' },
  ForecastType: { COMMIT: 'commit', BEST_CASE: 'best_case', PIPELINE: 'pipeline' },
  ActivityType: { CALL: 'call', EMAIL: 'email', MEETING: 'meeting', NOTE: 'note', DEMO: 'demo', OTHER: 'other' },
  ActivityStatus: { PLANNED: 'planned', COMPLETED: 'completed', CANCELLED: 'cancelled' },
  TaskType: { FOLLOW_UP: 'follow_up', CALL: 'call', EMAIL: 'email', MEETING: 'meeting', OTHER: 'other' },
  TaskStatus: { OPEN: 'open', COMPLETED: 'completed', CANCELLED: 'cancelled' },
  Priority: { LOW: 'low', NORMAL: 'normal', HIGH: 'high', URGENT: 'urgent' },
  RelatedType: { LEAD: 'lead', OPPORTUNITY: 'opportunity', CUSTOMER: 'customer' },

  Opportunity: {
    name: (o: Node) => o.name ?? o.id,
    owner: (o: Node) => user(o.ownerId ?? o.createdBy),
    territory,
    async account(o: Node, _: unknown, ctx: GraphQLContext) {
      const id = o.customerId as string;
      const row = await ctx.loaders.account.load(id);
      return { id, name: row?.name ?? null, status: row?.status ?? null, segment: row?.segment ?? null };
    },
  },
  Lead: {
    // Erased personal data leaves no address; the seed's schema has the field non-null.
    email: (l: Node) => l.email ?? '',
    territory,
  },
  Territory: { owner: (t: Node) => user(t.ownerId) },
  Activity: { owner: (a: Node) => user(a.ownerId) },
  Task: { assignedTo: (t: Node) => user(t.assignedTo) },
  Forecast: { owner: (f: Node) => user(f.ownerId), territory },
  TerritoryAssignment: { territory },
  Pipeline: {
    period: (p: Pipeline) => p.period.code,
    periodStart: (p: Pipeline) => p.period.start,
    periodEnd: (p: Pipeline) => p.period.last,
    owner: (p: Pipeline) => user(p.ownerId),
  },
};
