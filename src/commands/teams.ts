import { type TeamState, teamAggregate } from '../aggregates/team/index.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';

/** The team directory's use cases (admins only: the policy's "team write"). */
export type TeamResult = CommandResult<TeamState>;

export interface CreateTeamInput {
  readonly teamId: string;
  readonly name: string;
  readonly managerId?: string;
  readonly memberIds?: readonly string[];
}

export const createTeam = (app: AppContext, caller: Caller, input: CreateTeamInput): Promise<TeamResult> =>
  app.execute(teamAggregate, on(caller, input.teamId), { type: 'CreateTeam', ...input });

export const updateTeam = (app: AppContext, caller: Caller, { teamId, ...input }: { teamId: string; name?: string; managerId?: string | null }) =>
  app.execute(teamAggregate, on(caller, teamId), { type: 'UpdateTeam', ...input });

export const addTeamMember = (app: AppContext, caller: Caller, teamId: string, userId: string) =>
  app.execute(teamAggregate, on(caller, teamId), { type: 'AddTeamMember', userId });

export const removeTeamMember = (app: AppContext, caller: Caller, teamId: string, userId: string) =>
  app.execute(teamAggregate, on(caller, teamId), { type: 'RemoveTeamMember', userId });

export const disbandTeam = (app: AppContext, caller: Caller, teamId: string, reason?: string) =>
  app.execute(teamAggregate, on(caller, teamId), { type: 'DisbandTeam', ...(reason ? { reason } : {}) });
