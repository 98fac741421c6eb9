import type { RelatedType } from '../aggregates/activity/related.js';
import { DomainError } from '../shared/errors.js';
import type { Access } from './access.js';
import type { Role } from './roles.js';

/**
 * The access policy: the one place that decides what an identity may see and do inside its
 * tenant (DESIGN §10). Every read path asks it for a scope that the read-model query applies in
 * SQL; every command asks it, through the command handler, on the loaded state before the
 * decider runs. Deny by default: a role or action missing from the table below is refused.
 *
 * Reach: `own` = records the actor owns; `team` = its own and those of the members of the teams
 * it manages; `all` = the whole tenant. A user with several roles gets the widest reach.
 */
export type Resource = 'opportunity' | 'lead' | 'forecast' | 'quota' | 'customer' | 'stages' | 'territory' | 'team' | 'apiKey' | 'audit' | 'activity' | 'task' | 'segments' | 'privacy';
export type Action = 'read' | 'write' | 'merge' | 'replay';
export type Reach = 'own' | 'team' | 'all';

type Grants = Partial<Record<Action, Partial<Record<Role, Reach>>>>;

/** Records with an owner: reps their own, managers their teams', admins all; compliance reads. */
const OWNED: Grants = {
  read: { sales_rep: 'own', sales_manager: 'team', admin: 'all', compliance: 'all' },
  write: { sales_rep: 'own', sales_manager: 'team', admin: 'all' },
};
const EVERYONE_READS = { sales_rep: 'all', sales_manager: 'all', admin: 'all', compliance: 'all' } as const;

export const POLICY: Readonly<Record<Resource, Grants>> = {
  opportunity: {
    ...OWNED,
    // The pipeline as of a past moment replays the tenant's log: for those who audit or manage.
    replay: { sales_manager: 'team', admin: 'all', compliance: 'all' },
  },
  lead: OWNED,
  forecast: OWNED,
  // A user's quota is read as its records are; only managers (within their teams) and admins set
  // quotas. A territory's quota has no owner: tenant-wide reach only (admin; compliance reads).
  quota: { read: OWNED.read, write: { sales_manager: 'team', admin: 'all' } },
  // Activities by their owner, tasks by their assignee, and also as for the record they are
  // about (RELATED_RESOURCE below): a rep reads and edits the work on its own deals.
  activity: OWNED,
  task: OWNED,
  // Accounts are shared by the sales organisation; which of their deals one sees is scoped above.
  customer: {
    read: EVERYONE_READS,
    write: { sales_rep: 'all', sales_manager: 'all', admin: 'all' },
    merge: { sales_manager: 'all', admin: 'all' },
  },
  stages: { read: EVERYONE_READS, write: { admin: 'all' } },
  // Segment definitions are tenant-wide configuration, like the stage set.
  segments: { read: EVERYONE_READS, write: { admin: 'all' } },
  territory: { read: EVERYONE_READS, write: { admin: 'all' } },
  team: { read: EVERYONE_READS, write: { admin: 'all' } },
  apiKey: { read: { admin: 'all' }, write: { admin: 'all' } },
  audit: { read: { admin: 'all', compliance: 'all' } },
  // Erasure (Art. 17) and subject access (Art. 15) requests: the people who answer regulators.
  privacy: { read: { admin: 'all', compliance: 'all' }, write: { admin: 'all', compliance: 'all' } },
};

const WIDTH: Record<Reach, number> = { own: 1, team: 2, all: 3 };

/** The widest reach any of the actor's roles has for the action; undefined: not allowed. */
export function reachOf(access: Access, resource: Resource, action: Action): Reach | undefined {
  if (access.system) return 'all';
  const grants = POLICY[resource][action] ?? {};
  let best: Reach | undefined;
  for (const role of access.roles) {
    const r = grants[role];
    if (r && (!best || WIDTH[r] > WIDTH[best])) best = r;
  }
  return best;
}

export function rolesAllowed(resource: Resource, action: Action): Role[] {
  return Object.keys(POLICY[resource][action] ?? {}) as Role[];
}

function forbidden(message: string, resource: Resource, action: Action, extra: Record<string, unknown> = {}): DomainError {
  return new DomainError('FORBIDDEN', message, { resource, action, required_roles: rolesAllowed(resource, action), ...extra });
}

/** The actor's reach for the action, or FORBIDDEN naming the roles that have it. */
export function requireReach(access: Access, resource: Resource, action: Action): Reach {
  const reach = reachOf(access, resource, action);
  if (!reach) {
    throw forbidden(
      access.roles.length === 0
        ? 'The credentials carry none of the roles sales_rep, sales_manager, admin, compliance'
        : `Your roles (${access.roles.join(', ')}) may not ${action} ${resource} records`,
      resource,
      action,
    );
  }
  return reach;
}

/** The owners whose records the actor reaches: 'all', or an explicit list (itself and its team). */
export type OwnerScope = 'all' | readonly string[];

function scopeOfReach(access: Access, reach: Reach): OwnerScope {
  if (reach === 'all') return 'all';
  if (reach === 'own') return [access.actorId];
  return [...new Set([access.actorId, ...access.managedUsers])];
}

/** The scope a read-model query must apply for this actor, or FORBIDDEN. */
export function ownerScope(access: Access, resource: Resource, action: Action = 'read'): OwnerScope {
  return scopeOfReach(access, requireReach(access, resource, action));
}

export const inScope = (scope: OwnerScope, owner: string | null | undefined): boolean =>
  scope === 'all' || (owner !== null && owner !== undefined && scope.includes(owner));

/**
 * FORBIDDEN unless the actor reaches a record of this owner. Used for a record read by id, and
 * for a filter naming an owner (a rep asking for another rep's pipeline is refused, not answered
 * with its own figures).
 */
export function requireOwnerInScope(access: Access, resource: Resource, action: Action, owner: string | null | undefined): OwnerScope {
  const scope = ownerScope(access, resource, action);
  if (!inScope(scope, owner)) {
    const whose = owner === access.actorId ? 'your own' : owner ? `owned by ${owner}` : 'without an owner';
    throw forbidden(`You may not ${action} this ${resource}: it is ${whose}, outside your reach`, resource, action, {
      owner_id: owner ?? null,
    });
  }
  return scope;
}

/**
 * Whose deals a forecast measures, fixed when it is created: a user's own forecast measures
 * what that user reaches (a rep its deals, a manager its teams', an admin the tenant's); one
 * created for someone else measures that person's own deals. Figures shown later are always
 * within the reach of whoever may read the forecast, whoever takes the snapshot.
 */
export function forecastDealReach(access: Access, ownerId: string): Reach {
  return ownerId === access.actorId ? (reachOf(access, 'opportunity', 'read') ?? 'own') : 'own';
}

/**
 * The scope of a read filtered by owner: that one owner (FORBIDDEN if outside the caller's
 * reach: a rep asking for another rep's pipeline is refused, never answered with its own
 * figures), or without a filter everything the caller reaches.
 */
export function scopeFor(access: Access, resource: Resource, ownerId: string | undefined, action: Action = 'read'): OwnerScope {
  return ownerId ? requireOwnerInScope(access, resource, action, ownerId) : ownerScope(access, resource, action);
}

/**
 * Work (activities, tasks) is reached "as for the related record" (issue 11): besides its owner /
 * assignee, whoever may read (write) the lead, opportunity or customer it is about may read
 * (write) it. The related record's own grants decide: a rep reaches the work on its deals, a
 * manager on its team's, and, accounts being shared, everyone with the customer grant the work on
 * customers. The role must still have the work resource's grant for the action (compliance reads
 * all and writes nothing).
 */
export const RELATED_RESOURCE: Readonly<Record<RelatedType, Resource>> = { lead: 'lead', opportunity: 'opportunity', customer: 'customer' };

/** The record a piece of work is about, as the command side loads it: its type and owner (undefined: it has none). */
export interface RelatedRecord {
  readonly type: RelatedType;
  readonly owner: string | null | undefined;
}

/** The owners of related records through which the actor reaches work, per record type (absent: none). */
export type RelatedScope = Readonly<Partial<Record<RelatedType, OwnerScope>>>;

export function relatedScope(access: Access, action: Action): RelatedScope {
  const out: Partial<Record<RelatedType, OwnerScope>> = {};
  for (const [type, resource] of Object.entries(RELATED_RESOURCE) as [RelatedType, Resource][]) {
    const reach = reachOf(access, resource, action);
    if (reach) out[type] = scopeOfReach(access, reach);
  }
  return out;
}

/** Does the actor reach this work through the record it is about? Ownerless records (customers) only with reach over all. */
export function reachesThroughRelated(access: Access, action: Action, related: RelatedRecord | undefined): boolean {
  const scope = related && relatedScope(access, action)[related.type];
  return scope !== undefined && inScope(scope, related?.owner);
}

/**
 * What the command handler needs to know of an aggregate to ask the policy: its resource, the
 * owner of a record as it stands, the owners a command gives it (a creation's owner, a
 * reassignment's target), the action a command is (write unless said otherwise) and, for work,
 * the record it is about.
 */
export interface Guard<C, S> {
  readonly resource: Resource;
  ownerOf?(state: S): string | null | undefined;
  /** null: the command makes a record without an owner (tenant-wide), which only reach `all` may. */
  newOwnersOf?(command: C, actorId: string): readonly (string | null)[];
  actionOf?(command: C): Action;
  relatedOf?(state: S): { readonly type: RelatedType; readonly id: string } | null | undefined;
}

/**
 * May the actor read this record? The role must allow reading it; its owner must lie within the
 * actor's reach, or (work) the record it is about. The one rule for history and as_of reads.
 */
export function authorizeRead(access: Access, resource: Resource, owner: string | null | undefined, related?: RelatedRecord): void {
  if (access.system) return;
  requireReach(access, resource, 'read');
  if (owner !== undefined && !reachesThroughRelated(access, 'read', related)) requireOwnerInScope(access, resource, 'read', owner);
}

/**
 * May the actor run this command on this state? The role must allow the action; the record's
 * current owner (or, for work, the record it is about) and every owner the command assigns must
 * lie within the actor's reach. So a rep creates only in its own name, a manager reassigns within
 * its team, an admin anywhere; a rep completes a colleague's task on its own deal.
 */
export function authorizeCommand<C, S>(access: Access, guard: Guard<C, S>, command: C, state: S, related?: RelatedRecord): void {
  if (access.system) return;
  const action = guard.actionOf?.(command) ?? 'write';
  const current = guard.ownerOf?.(state);
  requireReach(access, guard.resource, action);
  if (current !== undefined && !reachesThroughRelated(access, action, related)) requireOwnerInScope(access, guard.resource, action, current);
  for (const owner of guard.newOwnersOf?.(command, access.actorId) ?? []) {
    if (!inScope(ownerScope(access, guard.resource, action), owner)) {
      const to = owner ?? 'nobody (a tenant-wide record)';
      throw forbidden(`You may not give this ${guard.resource} to ${to}: that owner is outside your reach`, guard.resource, action, {
        owner_id: owner,
      });
    }
  }
}
