import type { Role } from './roles.js';

/**
 * Who is asking, with what the access policy needs to answer: the tenant (the only one the
 * request can touch), the actor recorded on every event it causes, its known roles and, for
 * a sales manager, the users it answers for (the members of the teams it manages, from the
 * team directory). Built once per request by the front door; commands carry it to the handler.
 */
export interface Access {
  readonly tenantId: string;
  /** A user id, `apikey:<id>` for an integration key, or `system:<name>` for the service itself. */
  readonly actorId: string;
  readonly roles: readonly Role[];
  /** Members of the teams this actor manages (empty unless it is a sales_manager of a team). */
  readonly managedUsers: readonly string[];
  /** The API key a request presented: its own identity, or the client beside a bearer token. */
  readonly apiKeyId?: string;
  /** The service acting on its own (consumed Kafka events): bound by the domain rules only. */
  readonly system?: true;
}

export const API_KEY_ACTOR_PREFIX = 'apikey:';

/** The service itself, e.g. for commands that consumed events cause. */
export function systemAccess(tenantId: string, actorId: string): Access {
  return { tenantId, actorId, roles: [], managedUsers: [], system: true };
}
