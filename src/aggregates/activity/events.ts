import type { DomainEvent } from '../decider.js';
import type { Priority, RelatedEntity } from './related.js';

/** Seed 003 names ActivityType without listing it; these are its examples plus the usual CRM kinds. */
export const ACTIVITY_TYPES = ['call', 'email', 'meeting', 'note', 'demo', 'other'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];
export const ACTIVITY_STATUSES = ['planned', 'completed', 'cancelled'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

/**
 * Seed 003's ActivityCreatedEvent (activityId, type, relatedTo, ownerId, dueDate) with the rest of
 * the activity's fields. An activity logged as already done is created completed.
 */
export type ActivityCreated = DomainEvent<
  'ActivityCreatedEvent',
  {
    activityId: string;
    type: ActivityType;
    subject: string;
    description: string | null;
    relatedTo: RelatedEntity;
    ownerId: string;
    dueDate: string | null;
    priority: Priority;
    status: ActivityStatus;
    completedDate: string | null;
    createdBy: string;
  }
>;
/** Only the fields that changed are present, with changedFields naming them. */
export type ActivityUpdated = DomainEvent<
  'ActivityUpdatedEvent',
  {
    activityId: string;
    changedFields: string[];
    updatedBy: string;
    type?: ActivityType;
    subject?: string;
    description?: string | null;
    relatedTo?: RelatedEntity;
    dueDate?: string | null;
    priority?: Priority;
  }
>;
export type ActivityCompleted = DomainEvent<'ActivityCompletedEvent', { activityId: string; completedBy: string; completedDate: string; outcome: string | null }>;
export type ActivityReopened = DomainEvent<'ActivityReopenedEvent', { activityId: string; reopenedBy: string }>;
export type ActivityCancelled = DomainEvent<'ActivityCancelledEvent', { activityId: string; cancelledBy: string; reason: string | null }>;
export type ActivityReassigned = DomainEvent<
  'ActivityReassignedEvent',
  { activityId: string; fromOwnerId: string; ownerId: string; reassignedBy: string; reason: string | null }
>;

export type ActivityEvent = ActivityCreated | ActivityUpdated | ActivityCompleted | ActivityReopened | ActivityCancelled | ActivityReassigned;

export const ACTIVITY_EVENT_TYPES = [
  'ActivityCreatedEvent',
  'ActivityUpdatedEvent',
  'ActivityCompletedEvent',
  'ActivityReopenedEvent',
  'ActivityCancelledEvent',
  'ActivityReassignedEvent',
] as const satisfies readonly ActivityEvent['type'][];
