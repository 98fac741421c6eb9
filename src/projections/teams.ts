import type { Knex } from 'knex';
import { TEAM_EVENT_TYPES, type TeamEvent } from '../aggregates/team/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';

export const TEAMS_TABLE = 'teams';
export const TEAM_MEMBERS_TABLE = 'team_members';

/**
 * The team directory as the access policy reads it: one row per team (its manager, whether it
 * is active) and one per membership. Keyed writes and upserts: a replayed event is harmless.
 */
export const teamsProjection: Projection = {
  name: 'teams',
  version: 1,
  eventTypes: TEAM_EVENT_TYPES,
  tables: [TEAMS_TABLE, TEAM_MEMBERS_TABLE],
  async handle(trx: Knex.Transaction, stored: StoredEvent) {
    const e = stored as StoredEvent<TeamEvent>;
    const key = { tenant_id: e.tenantId, team_id: e.aggregateId };
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const teams = () => trx(TEAMS_TABLE);
    const addMembers = (userIds: readonly string[]) =>
      userIds.length === 0
        ? Promise.resolve()
        : trx(TEAM_MEMBERS_TABLE)
            .insert(userIds.map((user_id) => ({ ...key, user_id, added_by: e.metadata.userId, added_at: e.timestamp })))
            .onConflict(['tenant_id', 'team_id', 'user_id'])
            .ignore();
    const event = { type: e.eventType, data: e.payload } as TeamEvent;
    switch (event.type) {
      case 'TeamCreatedEvent': {
        const d = event.data;
        await teams()
          .insert({ ...key, name: d.name, manager_id: d.managerId, active: true, created_by: e.metadata.userId, created_at: e.timestamp, ...touch })
          .onConflict(['tenant_id', 'team_id'])
          .ignore();
        await addMembers(d.memberIds);
        return;
      }
      case 'TeamRenamedEvent':
        await teams().where(key).update({ name: event.data.toName, ...touch });
        return;
      case 'TeamManagerChangedEvent':
        await teams().where(key).update({ manager_id: event.data.toManagerId, ...touch });
        return;
      case 'TeamMemberAddedEvent':
        await teams().where(key).update(touch);
        await addMembers([event.data.userId]);
        return;
      case 'TeamMemberRemovedEvent':
        await teams().where(key).update(touch);
        await trx(TEAM_MEMBERS_TABLE).where({ ...key, user_id: event.data.userId }).delete();
        return;
      case 'TeamDisbandedEvent':
        await teams().where(key).update({ active: false, ...touch });
        return;
    }
  },
};
