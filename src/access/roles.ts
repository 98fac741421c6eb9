/**
 * The roles the access policy knows (seed 004: sales reps, managers, admins; plus compliance).
 * Role names are matched case-insensitively ("Admin" is admin) because identity providers
 * differ in how they spell group names; anything else a token carries is ignored, so a token
 * with none of these roles is denied everywhere (deny by default).
 */
/**
 * A user id as identity providers issue them (`auth0|123`, an email, a uuid): 1-128 visible
 * ASCII characters. The actor prefixes the service gives its own actors are reserved.
 */
export const USER_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
export const RESERVED_ACTOR_PREFIXES = ['apikey:', 'system:'] as const;
export const isUserId = (id: string) => USER_ID_PATTERN.test(id) && !RESERVED_ACTOR_PREFIXES.some((p) => id.startsWith(p));

export const ROLES = ['sales_rep', 'sales_manager', 'admin', 'compliance'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** The known roles among `raw`, lower-cased, without duplicates, in ROLES order. */
export function knownRoles(raw: readonly string[]): Role[] {
  const given = new Set(raw.map((r) => r.trim().toLowerCase()));
  return ROLES.filter((r) => given.has(r));
}
