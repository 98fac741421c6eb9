import { ACTIVITY_EVENT_TYPES, type ActivityEvent } from '../aggregates/activity/events.js';
import { TASK_EVENT_TYPES, type TaskEvent } from '../aggregates/task/events.js';
import { rowProjection } from './projection.js';
import { type RowEffect, keyedRows } from './rows.js';

export const ACTIVITIES_TABLE = 'activities';
export const TASKS_TABLE = 'tasks';

/** Only the columns an update event carries, renamed to the read model's. */
function changed<D extends Record<string, unknown>>(data: D, columns: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(columns)) if (data[field] !== undefined) out[column] = data[field];
  if ('relatedTo' in data && data.relatedTo !== undefined) {
    const related = data.relatedTo as { type: string; id: string } | null;
    out.related_type = related?.type ?? null;
    out.related_id = related?.id ?? null;
  }
  return out;
}

/** The activities read model (seed 003): one row per activity, what GET /activities and its filters need. */
const activityRows = keyedRows({
  table: ACTIVITIES_TABLE,
  keyColumns: ['tenant_id', 'activity_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, activity_id: e.aggregateId }),
  effect(e): RowEffect {
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const event = { type: e.eventType, data: e.payload } as ActivityEvent;
    switch (event.type) {
      case 'ActivityCreatedEvent': {
        const d = event.data;
        // Replays are harmless: the row already holds this event's effect.
        return {
          create: {
            type: d.type,
            subject: d.subject,
            description: d.description,
            related_type: d.relatedTo.type,
            related_id: d.relatedTo.id,
            owner_id: d.ownerId,
            due_date: d.dueDate,
            completed_date: d.completedDate,
            status: d.status,
            priority: d.priority,
            created_by: e.metadata.userId,
            created_at: e.timestamp,
            ...touch,
          },
        };
      }
      case 'ActivityUpdatedEvent':
        return { change: { ...changed(event.data, { type: 'type', subject: 'subject', description: 'description', dueDate: 'due_date', priority: 'priority' }), ...touch } };
      case 'ActivityCompletedEvent':
        return { change: { status: 'completed', completed_date: event.data.completedDate, outcome: event.data.outcome, ...touch } };
      case 'ActivityReopenedEvent':
        return { change: { status: 'planned', completed_date: null, outcome: null, ...touch } };
      case 'ActivityCancelledEvent':
        return { change: { status: 'cancelled', cancel_reason: event.data.reason, ...touch } };
      case 'ActivityReassignedEvent':
        return { change: { owner_id: event.data.ownerId, ...touch } };
    }
  },
});

export const activitiesProjection = rowProjection({ name: 'activities', version: 1, eventTypes: ACTIVITY_EVENT_TYPES, tables: [ACTIVITIES_TABLE] }, activityRows);

/** The tasks read model (seed 003): one row per task, what GET /tasks and its filters need. */
const taskRows = keyedRows({
  table: TASKS_TABLE,
  keyColumns: ['tenant_id', 'task_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, task_id: e.aggregateId }),
  effect(e): RowEffect {
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const event = { type: e.eventType, data: e.payload } as TaskEvent;
    switch (event.type) {
      case 'TaskCreatedEvent': {
        const d = event.data;
        return {
          create: {
            title: d.title,
            description: d.description,
            task_type: d.taskType,
            related_type: d.relatedTo?.type ?? null,
            related_id: d.relatedTo?.id ?? null,
            assignee_id: d.assigneeId,
            due_date: d.dueDate,
            status: 'open',
            priority: d.priority,
            created_by: e.metadata.userId,
            created_at: e.timestamp,
            ...touch,
          },
        };
      }
      case 'TaskUpdatedEvent':
        return { change: { ...changed(event.data, { title: 'title', description: 'description', dueDate: 'due_date', priority: 'priority', taskType: 'task_type' }), ...touch } };
      case 'TaskCompletedEvent':
        return { change: { status: 'completed', completed_at: event.data.completedAt, completed_by: event.data.completedBy, ...touch } };
      case 'TaskReopenedEvent':
        return { change: { status: 'open', completed_at: null, completed_by: null, ...touch } };
      case 'TaskCancelledEvent':
        return { change: { status: 'cancelled', cancel_reason: event.data.reason, ...touch } };
      case 'TaskReassignedEvent':
        return { change: { assignee_id: event.data.assigneeId, ...touch } };
    }
  },
});

export const tasksProjection = rowProjection({ name: 'tasks', version: 1, eventTypes: TASK_EVENT_TYPES, tables: [TASKS_TABLE] }, taskRows);
