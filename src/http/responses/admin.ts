import { z } from 'zod';
import { instant, nullable, pageOf, written } from './common.js';

/** Answers of the administration and compliance endpoints: stages, teams, API keys, audit. */
const stage = z.object({ code: z.string(), name: z.string(), order: z.number().int(), probability: z.number().int(), kind: z.enum(['open', 'won', 'lost']) });

export const stageSetBody = z.object({
  configured: z.boolean(),
  stages: z.array(stage),
  transitions: z.record(z.string(), z.array(z.string())),
  aliases: z.record(z.string(), z.string()),
});

export const stageSetViewBody = stageSetBody.extend({ revision: z.string(), updated_at: nullable(instant), updated_by: nullable(z.string()) });
export const stageSetResult = stageSetBody.extend(written);

export const stageHistoryBody = z.object({
  data: z.array(z.looseObject({ event_id: z.string(), event_type: z.string(), revision: z.string(), actor: z.string(), stage_set: stageSetBody, changes: z.unknown() })),
});

export const teamBody = z.object({
  id: z.string(),
  name: z.string(),
  manager_id: nullable(z.string()),
  member_ids: z.array(z.string()),
  active: z.boolean(),
  revision: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
  created_at: instant,
  updated_at: instant,
});

export const teamPage = pageOf(teamBody).extend({ as_of: instant.optional() });

export const teamResult = z.object({
  id: z.string(),
  name: z.string().optional(),
  manager_id: nullable(z.string()).optional(),
  member_ids: z.array(z.string()).optional(),
  active: z.boolean().optional(),
  ...written,
});

export const meBody = z.object({
  tenant_id: z.string(),
  user_id: z.string(),
  roles: z.array(z.string()),
  api_key_id: nullable(z.string()),
  member_of_teams: z.array(z.string()),
  manages_teams: z.array(z.string()),
  managed_users: z.array(z.string()),
});

export const apiKeyBody = z.object({
  id: z.string(),
  name: z.string(),
  roles: z.array(z.string()),
  actor: z.string(),
  expires_at: nullable(instant),
  revoked: z.boolean(),
  revoked_at: nullable(instant),
  revoked_by: nullable(z.string()),
  revoke_reason: nullable(z.string()),
  last_used_at: nullable(instant),
  revision: z.string(),
  created_by: z.string(),
  created_at: nullable(instant),
});

export const apiKeyPage = pageOf(apiKeyBody);

export const apiKeyResult = z.object({
  id: z.string(),
  name: z.string().optional(),
  roles: z.array(z.string()).optional(),
  actor: z.string().optional(),
  expires_at: nullable(z.string()).optional(),
  revoked: z.boolean().optional(),
  key: nullable(z.string()).optional().meta({ description: 'the key itself: in the answer that creates it, and nowhere else (null in a replay)' }),
  ...written,
});

export const auditStateBody = z.object({
  aggregate_type: z.string(),
  aggregate_id: z.string(),
  revision: z.string(),
  as_of: nullable(instant),
  last_event: z.object({ event_id: z.string(), event_type: z.string(), timestamp: instant, actor: z.string() }),
  state: z.unknown(),
});

export const territoryBody = z.object({
  id: z.string(),
  name: z.string(),
  owner_id: nullable(z.string()),
  region: nullable(z.string()),
  rule: nullable(z.string()),
  is_active: z.boolean(),
  revision: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
  created_at: instant,
  updated_at: instant,
});

export const territoryPage = pageOf(territoryBody);

export const territoryResult = z.object({
  id: z.string(),
  name: z.string().optional(),
  owner_id: nullable(z.string()).optional(),
  region: nullable(z.string()).optional(),
  rule: nullable(z.string()).optional(),
  is_active: z.boolean().optional(),
  ...written,
});

export const assignmentsPage = pageOf(
  z.object({
    event_id: z.string(),
    record_type: z.enum(['lead', 'opportunity']),
    record_id: z.string(),
    territory_id: z.string(),
    from_territory_id: nullable(z.string()),
    reason: nullable(z.string()),
    assigned_by: z.string(),
    assigned_at: instant,
  }),
).extend({ territory_id: z.string() });

export const verifyBody = z.object({
  verified_streams: z.number().int(),
  verified_events: z.number().int(),
  broken: z.array(z.object({ stream_id: z.string(), revision: z.string(), reason: z.string(), expected_hash: z.string().optional(), found_hash: z.string().optional() })),
  digest: z.object({ as_of: instant, expected: z.string(), found: z.string(), matches: z.boolean() }).optional(),
});

export const headDigestBody = z.object({
  tenant_id: z.string(),
  as_of: instant,
  streams: z.number().int(),
  events: z.number().int(),
  digest: z.string(),
  algorithm: z.string(),
  broken_streams: z.number().int(),
});
