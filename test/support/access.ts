import type { Access } from '../../src/access/access.js';
import type { Role } from '../../src/access/roles.js';

/** An actor for commands run straight through the handler (no HTTP): an admin unless told. */
export function actor(tenantId: string, actorId: string, roles: readonly Role[] = ['admin'], managedUsers: readonly string[] = []): Access {
  return { tenantId, actorId, roles, managedUsers };
}
