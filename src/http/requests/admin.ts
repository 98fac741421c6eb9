import { z } from 'zod';
import { ROLES } from '../../access/roles.js';
import { id, minPosition, oneOf, pagination, text, userId } from '../fields.js';

/** Bodies and queries of the team directory and API key endpoints. */
export const createTeamBody = z
  .strictObject({ id: id.optional(), name: text(200), manager_id: userId.optional(), member_ids: z.array(userId).max(500).optional() })
  .transform((b) => ({ teamId: b.id ?? crypto.randomUUID(), name: b.name, managerId: b.manager_id, memberIds: b.member_ids }));

export const updateTeamBody = z
  .strictObject({ name: text(200).optional(), manager_id: userId.nullable().optional() })
  .refine((b) => b.name !== undefined || b.manager_id !== undefined, { message: 'nothing to update: give name or manager_id' })
  .transform((b) => ({ name: b.name, managerId: b.manager_id }));

export const reasonBody = z.strictObject({ reason: text(500).optional() });

export const listTeamsQuery = pagination.extend({
  manager_id: userId.optional(),
  member_id: userId.optional(),
  active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  /** The whole directory as it stood then. */
  as_of: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant, e.g. 2026-02-02T11:10:00Z' }).optional(),
  min_position: minPosition,
});

export const createApiKeyBody = z.strictObject({
  name: text(200),
  roles: z.array(oneOf(ROLES, 'lower')).min(1).max(ROLES.length),
  expires_at: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant, e.g. 2027-01-01T00:00:00Z' }).optional(),
});

export const listApiKeysQuery = pagination.extend({
  include_revoked: z.enum(['true', 'false']).transform((v) => v === 'true').default(false),
  min_position: minPosition,
});

export const createTerritoryBody = z
  .strictObject({ id: id.optional(), name: text(200), owner_id: userId.optional(), region: text(200).optional(), rule: text(2000).optional() })
  .transform((b) => ({ territoryId: b.id ?? crypto.randomUUID(), name: b.name, ownerId: b.owner_id, region: b.region, rule: b.rule }));

export const updateTerritoryBody = z
  .strictObject({ name: text(200).optional(), owner_id: userId.nullable().optional(), region: text(200).nullable().optional(), rule: text(2000).nullable().optional() })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update: give name, owner_id, region or rule' })
  .transform((b) => ({ name: b.name, ownerId: b.owner_id, region: b.region, rule: b.rule }));

export const listTerritoriesQuery = pagination.extend({
  owner_id: userId.optional(),
  /** Seed 004's isActive. */
  is_active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  min_position: minPosition,
});

export const assignmentsQuery = pagination.extend({ min_position: minPosition });
