import { DomainError, conflict, notFound, validation } from '../../shared/errors.js';
import type { Decider } from '../decider.js';
import type { TeamCommand } from './commands.js';
import type { TeamEvent } from './events.js';

export type TeamState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly teamId: string;
      readonly name: string;
      readonly managerId: string | null;
      readonly memberIds: readonly string[];
      readonly disbanded: boolean;
    };

type Existing = Extract<TeamState, { exists: true }>;

/** A team holds at most this many members: a directory entry, not a tenant-wide list. */
export const MAX_TEAM_MEMBERS = 500;

function requireActive(state: TeamState): Existing {
  if (!state.exists) throw notFound('Team not found');
  if (state.disbanded) throw conflict(`Team ${state.teamId} is disbanded; it cannot change any more`, { team_id: state.teamId });
  return state;
}

function decide(command: TeamCommand, state: TeamState): TeamEvent[] {
  switch (command.type) {
    case 'CreateTeam': {
      if (state.exists) throw conflict(`Team ${command.teamId} already exists`, { id: command.teamId });
      const memberIds = [...new Set(command.memberIds ?? [])];
      if (memberIds.length > MAX_TEAM_MEMBERS) throw validation(`A team has at most ${MAX_TEAM_MEMBERS} members`, { field: 'member_ids' });
      return [
        { type: 'TeamCreatedEvent', data: { teamId: command.teamId, name: command.name, managerId: command.managerId ?? null, memberIds } },
      ];
    }
    case 'UpdateTeam': {
      const current = requireActive(state);
      const events: TeamEvent[] = [];
      if (command.name !== undefined && command.name !== current.name) {
        events.push({ type: 'TeamRenamedEvent', data: { teamId: current.teamId, fromName: current.name, toName: command.name } });
      }
      if (command.managerId !== undefined && command.managerId !== current.managerId) {
        events.push({
          type: 'TeamManagerChangedEvent',
          data: { teamId: current.teamId, fromManagerId: current.managerId, toManagerId: command.managerId },
        });
      }
      return events;
    }
    case 'AddTeamMember': {
      const current = requireActive(state);
      if (current.memberIds.includes(command.userId)) return [];
      if (current.memberIds.length >= MAX_TEAM_MEMBERS) {
        throw new DomainError('CONFLICT', `Team ${current.teamId} is full (${MAX_TEAM_MEMBERS} members)`, { team_id: current.teamId });
      }
      return [{ type: 'TeamMemberAddedEvent', data: { teamId: current.teamId, userId: command.userId } }];
    }
    case 'RemoveTeamMember': {
      const current = requireActive(state);
      if (!current.memberIds.includes(command.userId)) return [];
      return [{ type: 'TeamMemberRemovedEvent', data: { teamId: current.teamId, userId: command.userId } }];
    }
    case 'DisbandTeam': {
      if (!state.exists) throw notFound('Team not found');
      if (state.disbanded) return [];
      return [{ type: 'TeamDisbandedEvent', data: { teamId: state.teamId, reason: command.reason?.trim() || null } }];
    }
  }
}

function evolve(state: TeamState, event: TeamEvent): TeamState {
  if (event.type === 'TeamCreatedEvent') {
    const d = event.data;
    return { exists: true, teamId: d.teamId, name: d.name, managerId: d.managerId, memberIds: d.memberIds, disbanded: false };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'TeamRenamedEvent':
      return { ...state, name: event.data.toName };
    case 'TeamManagerChangedEvent':
      return { ...state, managerId: event.data.toManagerId };
    case 'TeamMemberAddedEvent':
      return { ...state, memberIds: [...state.memberIds, event.data.userId] };
    case 'TeamMemberRemovedEvent':
      return { ...state, memberIds: state.memberIds.filter((m) => m !== event.data.userId) };
    case 'TeamDisbandedEvent':
      return { ...state, disbanded: true };
  }
}

export const teamDecider: Decider<TeamCommand, TeamEvent, TeamState> = {
  initialState: { exists: false },
  evolve,
  decide,
};
