/**
 * The roles the access policy knows (seed 004: sales reps, managers, admins; plus compliance).
 * Role names are matched case-insensitively ("Admin" is admin) because identity providers
 * differ in how they spell group names; anything else a token carries is ignored, so a token
 * with none of these roles is denied everywhere (deny by default).
 */
export const ROLES = ['sales_rep', 'sales_manager', 'admin', 'compliance'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** The known roles among `raw`, lower-cased, without duplicates, in ROLES order. */
export function knownRoles(raw: readonly string[]): Role[] {
  const given = new Set(raw.map((r) => r.trim().toLowerCase()));
  return ROLES.filter((r) => given.has(r));
}
