import type { Knex } from 'knex';
import { ACTIVITY_EVENT_TYPES, type ActivityEvent } from '../aggregates/activity/events.js';
import { TASK_EVENT_TYPES, type TaskEvent } from '../aggregates/task/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';

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
export const activitiesProjection: Projection = {
  name: 'activities',
  version: 1,
  eventTypes: ACTIVITY_EVENT_TYPES,
  tables: [ACTIVITIES_TABLE],
  async handle(trx: Knex.Transaction, e: StoredEvent) {
    const key = { tenant_id: e.tenantId, activity_id: e.aggregateId };
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const table = () => trx(ACTIVITIES_TABLE);
    const event = { type: e.eventType, data: e.payload } as ActivityEvent;
    switch (event.type) {
      case 'ActivityCreatedEvent': {
        const d = event.data;
        await table()
          .insert({
            ...key,
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
          })
          // Replays are harmless: the row already holds this event's effect.
          .onConflict(['tenant_id', 'activity_id'])
          .ignore();
        return;
      }
      case 'ActivityUpdatedEvent':
        await table()
          .where(key)
          .update({ ...changed(event.data, { type: 'type', subject: 'subject', description: 'description', dueDate: 'due_date', priority: 'priority' }), ...touch });
        return;
      case 'ActivityCompletedEvent':
        await table().where(key).update({ status: 'completed', completed_date: event.data.completedDate, outcome: event.data.outcome, ...touch });
        return;
      case 'ActivityReopenedEvent':
        await table().where(key).update({ status: 'planned', completed_date: null, outcome: null, ...touch });
        return;
      case 'ActivityCancelledEvent':
        await table().where(key).update({ status: 'cancelled', cancel_reason: event.data.reason, ...touch });
        return;
      case 'ActivityReassignedEvent':
        await table().where(key).update({ owner_id: event.data.ownerId, ...touch });
        return;
    }
  },
};

/** The tasks read model (seed 003): one row per task, what GET /tasks and its filters need. */
export const tasksProjection: Projection = {
  name: 'tasks',
  version: 1,
  eventTypes: TASK_EVENT_TYPES,
  tables: [TASKS_TABLE],
  async handle(trx: Knex.Transaction, e: StoredEvent) {
    const key = { tenant_id: e.tenantId, task_id: e.aggregateId };
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const table = () => trx(TASKS_TABLE);
    const event = { type: e.eventType, data: e.payload } as TaskEvent;
    switch (event.type) {
      case 'TaskCreatedEvent': {
        const d = event.data;
        await table()
          .insert({
            ...key,
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
          })
          .onConflict(['tenant_id', 'task_id'])
          .ignore();
        return;
      }
      case 'TaskUpdatedEvent':
        await table()
          .where(key)
          .update({ ...changed(event.data, { title: 'title', description: 'description', dueDate: 'due_date', priority: 'priority', taskType: 'task_type' }), ...touch });
        return;
      case 'TaskCompletedEvent':
        await table().where(key).update({ status: 'completed', completed_at: event.data.completedAt, completed_by: event.data.completedBy, ...touch });
        return;
      case 'TaskReopenedEvent':
        await table().where(key).update({ status: 'open', completed_at: null, completed_by: null, ...touch });
        return;
      case 'TaskCancelledEvent':
        await table().where(key).update({ status: 'cancelled', cancel_reason: event.data.reason, ...touch });
        return;
      case 'TaskReassignedEvent':
        await table().where(key).update({ assignee_id: event.data.assigneeId, ...touch });
        return;
    }
  },
};
