import { conflict, notFound } from '../../shared/errors.js';
import type { Decider } from '../decider.js';
import type { TerritoryCommand } from './commands.js';
import type { TerritoryEvent, TerritoryUpdated } from './events.js';

export type TerritoryState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly territoryId: string;
      readonly name: string;
      readonly ownerId: string | null;
      readonly region: string | null;
      readonly rule: string | null;
      readonly active: boolean;
    };

type Existing = Extract<TerritoryState, { exists: true }>;

const requireExisting = (state: TerritoryState): Existing => {
  if (!state.exists) throw notFound('Territory not found');
  return state;
};

/** Whether new leads and deals may be assigned to the territory: unknown ids are plain labels. */
export function acceptsAssignments(state: TerritoryState): boolean {
  return !state.exists || state.active;
}

export function refuseInactive(state: TerritoryState): void {
  if (!acceptsAssignments(state) && state.exists) {
    throw conflict(`Territory ${state.territoryId} is deactivated; nothing new is assigned to it`, { territory_id: state.territoryId });
  }
}

function decide(command: TerritoryCommand, state: TerritoryState): TerritoryEvent[] {
  switch (command.type) {
    case 'CreateTerritory': {
      if (state.exists) throw conflict(`Territory ${command.territoryId} already exists`, { id: command.territoryId });
      const { type: _type, ...d } = command;
      return [{ type: 'TerritoryCreatedEvent', data: { ...d, ownerId: d.ownerId ?? null, region: d.region ?? null, rule: d.rule ?? null } }];
    }
    case 'UpdateTerritory': {
      const current = requireExisting(state);
      const data: TerritoryUpdated['data'] = { territoryId: current.territoryId, changedFields: [] };
      for (const field of ['name', 'ownerId', 'region', 'rule'] as const) {
        const wanted = command[field];
        if (wanted !== undefined && wanted !== current[field]) {
          (data as Record<string, unknown>)[field] = wanted;
          data.changedFields.push(field);
        }
      }
      return data.changedFields.length ? [{ type: 'TerritoryUpdatedEvent', data }] : [];
    }
    case 'DeactivateTerritory': {
      const current = requireExisting(state);
      return current.active ? [{ type: 'TerritoryDeactivatedEvent', data: { territoryId: current.territoryId, reason: command.reason?.trim() || null } }] : [];
    }
    case 'ReactivateTerritory': {
      const current = requireExisting(state);
      return current.active ? [] : [{ type: 'TerritoryReactivatedEvent', data: { territoryId: current.territoryId } }];
    }
  }
}

function evolve(state: TerritoryState, event: TerritoryEvent): TerritoryState {
  if (event.type === 'TerritoryCreatedEvent') {
    const { territoryId, name, ownerId, region, rule } = event.data;
    return { exists: true, territoryId, name, ownerId, region, rule, active: true };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'TerritoryUpdatedEvent': {
      const { territoryId: _id, changedFields: _f, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'TerritoryDeactivatedEvent':
      return { ...state, active: false };
    case 'TerritoryReactivatedEvent':
      return { ...state, active: true };
  }
}

export const territoryDecider: Decider<TerritoryCommand, TerritoryEvent, TerritoryState> = { initialState: { exists: false }, evolve, decide };
