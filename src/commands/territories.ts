import { type OpportunityState, opportunityAggregate } from '../aggregates/opportunity/index.js';
import { type TerritoryState, refuseInactive, territoryAggregate } from '../aggregates/territory/index.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';
import { loadAggregate } from './load.js';

/** Territories (seed 004): admins manage them; leads and deals are assigned to them. */
export type TerritoryResult = CommandResult<TerritoryState>;

export interface CreateTerritoryInput {
  readonly territoryId: string;
  readonly name: string;
  readonly ownerId?: string;
  readonly region?: string;
  readonly rule?: string;
}

export const createTerritory = (app: AppContext, caller: Caller, input: CreateTerritoryInput): Promise<TerritoryResult> =>
  app.execute(territoryAggregate, on(caller, input.territoryId), { type: 'CreateTerritory', ...input });

export const updateTerritory = (
  app: AppContext,
  caller: Caller,
  { territoryId, ...input }: { territoryId: string; name?: string; ownerId?: string | null; region?: string | null; rule?: string | null },
) => app.execute(territoryAggregate, on(caller, territoryId), { type: 'UpdateTerritory', ...input });

export const deactivateTerritory = (app: AppContext, caller: Caller, territoryId: string, reason?: string) =>
  app.execute(territoryAggregate, on(caller, territoryId), { type: 'DeactivateTerritory', ...(reason ? { reason } : {}) });

export const reactivateTerritory = (app: AppContext, caller: Caller, territoryId: string) =>
  app.execute(territoryAggregate, on(caller, territoryId), { type: 'ReactivateTerritory' });

/**
 * A territory that can take a new assignment: a deactivated one refuses (409); an id no
 * territory was created for is a plain label, as before territories were managed here.
 */
export async function requireAssignable(app: AppContext, tenantId: string, territoryId: string): Promise<void> {
  refuseInactive((await loadAggregate(app.store, territoryAggregate, tenantId, territoryId)).state);
}

export async function assignOpportunityTerritory(
  app: AppContext,
  caller: Caller,
  { opportunityId, ...input }: { opportunityId: string; territoryId: string; reason?: string },
): Promise<CommandResult<OpportunityState>> {
  await requireAssignable(app, caller.access.tenantId, input.territoryId);
  return app.execute(opportunityAggregate, on(caller, opportunityId), { type: 'AssignOpportunityTerritory', ...input });
}
