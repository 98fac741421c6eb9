import { coverage, forecastPipeline, rowMeasure } from '../commands/forecasts.js';
import type { ApiDeps } from '../http/deps.js';
import { forecastDto } from '../http/render/forecasts.js';
import { leadDto } from '../http/render/leads.js';
import { opportunityDto } from '../http/render/opportunities.js';
import { activityDto, taskDto } from '../http/render/activities.js';
import { territoryDto } from '../http/render/admin.js';
import type { ForecastRow } from '../projections/forecastQueries.js';
import type { LeadRow } from '../projections/leadQueries.js';
import type { OpportunityRow } from '../projections/opportunityQueries.js';
import type { TerritoryRow } from '../projections/territoryQueries.js';
import type { ActivityRow, TaskRow } from '../projections/activityQueries.js';
import { camelKeys } from '../shared/case.js';

/**
 * What the GraphQL types resolve from: the REST answer of the same record, camelCased. One
 * rendering per record serves both front doors, so they agree field for field; the fields that
 * are records of their own (account, owner, territory) have resolvers in resolvers/types.ts.
 */
export type Node = Readonly<Record<string, unknown>>;

export const opportunityNode = (row: OpportunityRow): Node => camelKeys(opportunityDto(row));
export const leadNode = (row: LeadRow): Node => camelKeys(leadDto(row));
export const territoryNode = (row: TerritoryRow): Node => camelKeys(territoryDto(row));
export const activityNode = (row: ActivityRow, now?: Date): Node => camelKeys(activityDto(row, now));
export const taskNode = (row: TaskRow, now?: Date): Node => camelKeys(taskDto(row, now));

/** A forecast, with the pipeline it measures computed once, when asked for. */
export function forecastNode(row: ForecastRow, deps: ApiDeps): Node {
  let figures: Promise<ReturnType<typeof coverage>> | undefined;
  const measured = () => (figures ??= forecastPipeline(deps, rowMeasure(row)).then((p) => coverage(p, row.amount)));
  return {
    ...camelKeys(forecastDto(row)),
    currentPipeline: async () => (await measured()).currentPipeline,
    pipelineCoverage: async () => (await measured()).pipelineCoverage,
  };
}

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export const connection = (nodes: readonly Node[], total: number, page: Page) => ({
  nodes,
  totalCount: total,
  pageInfo: { total, limit: page.limit, offset: page.offset, hasMore: page.offset + nodes.length < total },
});
