import type { Knex } from 'knex';
import { TEAM_EVENT_TYPES, type TeamEvent } from '../aggregates/team/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';
import type { KnownRows } from './knownRows.js';
import { type RowEffect, applyRows, keyedRows } from './rows.js';

export const TEAMS_TABLE = 'teams';
export const TEAM_MEMBERS_TABLE = 'team_members';

const eventOf = (e: StoredEvent) => ({ type: e.eventType, data: e.payload }) as TeamEvent;

/** One row per team: its name, its manager, whether it is active. */
const teamRows = keyedRows({
  table: TEAMS_TABLE,
  keyColumns: ['tenant_id', 'team_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, team_id: e.aggregateId }),
  effect(e): RowEffect {
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const event = eventOf(e);
    switch (event.type) {
      case 'TeamCreatedEvent':
        // Replays are harmless: the row already holds this event's effect.
        return { create: { name: event.data.name, manager_id: event.data.managerId, active: true, created_by: e.metadata.userId, created_at: e.timestamp, ...touch } };
      case 'TeamRenamedEvent':
        return { change: { name: event.data.toName, ...touch } };
      case 'TeamManagerChangedEvent':
        return { change: { manager_id: event.data.toManagerId, ...touch } };
      case 'TeamMemberAddedEvent':
      case 'TeamMemberRemovedEvent':
        return { change: touch };
      case 'TeamDisbandedEvent':
        return { change: { active: false, ...touch } };
    }
  },
});

/** The user ids whose membership rows an event touches: a creation adds its members at once. */
function memberIds(e: StoredEvent): readonly string[] {
  const event = eventOf(e);
  switch (event.type) {
    case 'TeamCreatedEvent':
      return event.data.memberIds;
    case 'TeamMemberAddedEvent':
    case 'TeamMemberRemovedEvent':
      return [event.data.userId];
    default:
      return [];
  }
}

/** One row per membership: an addition keeps a stored one (when and by whom it began), a removal deletes it. */
const memberRows = keyedRows({
  table: TEAM_MEMBERS_TABLE,
  keyColumns: ['tenant_id', 'team_id', 'user_id'],
  keysOf: (e) => memberIds(e).map((user_id) => ({ tenant_id: e.tenantId, team_id: e.aggregateId, user_id })),
  effect: (e): RowEffect => (e.eventType === 'TeamMemberRemovedEvent' ? { delete: true } : { create: { added_by: e.metadata.userId, added_at: e.timestamp } }),
});

/** The two tables are written apart and neither is read by the other's rule: a batch is each model's events at once. */
async function applyBatch(trx: Knex.Transaction, events: readonly StoredEvent[], known?: KnownRows): Promise<void> {
  await applyRows(trx, teamRows, events, known);
  await applyRows(trx, memberRows, events, known);
}

/**
 * The team directory as the access policy reads it: one row per team (its manager, whether it
 * is active) and one per membership. Row models (rows.ts), so a replayed event is harmless.
 */
export const teamsProjection: Projection = {
  name: 'teams',
  version: 1,
  eventTypes: TEAM_EVENT_TYPES,
  tables: [TEAMS_TABLE, TEAM_MEMBERS_TABLE],
  handle: (trx, e) => applyBatch(trx, [e]),
  handleBatch: applyBatch,
};
