import type { DomainEvent } from '../decider.js';

/**
 * The tenant's team directory, one stream per team: who manages it and who is in it, every change
 * an event with its actor, so "who was in which team" is answerable as of any moment.
 */
export type TeamCreated = DomainEvent<
  'TeamCreatedEvent',
  { teamId: string; name: string; managerId: string | null; memberIds: string[] }
>;
export type TeamRenamed = DomainEvent<'TeamRenamedEvent', { teamId: string; fromName: string; toName: string }>;
export type TeamManagerChanged = DomainEvent<
  'TeamManagerChangedEvent',
  { teamId: string; fromManagerId: string | null; toManagerId: string | null }
>;
export type TeamMemberAdded = DomainEvent<'TeamMemberAddedEvent', { teamId: string; userId: string }>;
export type TeamMemberRemoved = DomainEvent<'TeamMemberRemovedEvent', { teamId: string; userId: string }>;
/** The team no longer exists for access: its manager stops answering for its members. */
export type TeamDisbanded = DomainEvent<'TeamDisbandedEvent', { teamId: string; reason: string | null }>;

export type TeamEvent = TeamCreated | TeamRenamed | TeamManagerChanged | TeamMemberAdded | TeamMemberRemoved | TeamDisbanded;

export const TEAM_EVENT_TYPES = [
  'TeamCreatedEvent',
  'TeamRenamedEvent',
  'TeamManagerChangedEvent',
  'TeamMemberAddedEvent',
  'TeamMemberRemovedEvent',
  'TeamDisbandedEvent',
] as const satisfies readonly TeamEvent['type'][];
