import type { Priority, RelatedEntity } from '../activity/related.js';
import type { DomainEvent } from '../decider.js';

/** Seed 003 names TaskType without listing it. */
export const TASK_TYPES = ['follow_up', 'call', 'email', 'meeting', 'other'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export const TASK_STATUSES = ['open', 'completed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Seed 003's Task: title, description, assignedTo, relatedTo (optional), dueDate, priority, type. */
export type TaskCreated = DomainEvent<
  'TaskCreatedEvent',
  {
    taskId: string;
    title: string;
    description: string | null;
    assigneeId: string;
    relatedTo: RelatedEntity | null;
    dueDate: string;
    priority: Priority;
    taskType: TaskType;
    createdBy: string;
  }
>;
/** Only the fields that changed are present, with changedFields naming them. */
export type TaskUpdated = DomainEvent<
  'TaskUpdatedEvent',
  {
    taskId: string;
    changedFields: string[];
    updatedBy: string;
    title?: string;
    description?: string | null;
    relatedTo?: RelatedEntity | null;
    dueDate?: string;
    priority?: Priority;
    taskType?: TaskType;
  }
>;
/** Seed 003's TaskCompletedEvent: taskId, completedBy, completedAt. */
export type TaskCompleted = DomainEvent<'TaskCompletedEvent', { taskId: string; completedBy: string; completedAt: string; note: string | null }>;
export type TaskReopened = DomainEvent<'TaskReopenedEvent', { taskId: string; reopenedBy: string; reason: string | null }>;
export type TaskCancelled = DomainEvent<'TaskCancelledEvent', { taskId: string; cancelledBy: string; reason: string | null }>;
export type TaskReassigned = DomainEvent<
  'TaskReassignedEvent',
  { taskId: string; fromAssigneeId: string; assigneeId: string; reassignedBy: string; reason: string | null }
>;

export type TaskEvent = TaskCreated | TaskUpdated | TaskCompleted | TaskReopened | TaskCancelled | TaskReassigned;

export const TASK_EVENT_TYPES = [
  'TaskCreatedEvent',
  'TaskUpdatedEvent',
  'TaskCompletedEvent',
  'TaskReopenedEvent',
  'TaskCancelledEvent',
  'TaskReassignedEvent',
] as const satisfies readonly TaskEvent['type'][];
