import { ACTIVITY_EVENT_TYPES, type ActivityEvent } from '../aggregates/activity/events.js';
import type { TaskEvent } from '../aggregates/task/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { type Row, type RowModel } from './rows.js';

/**
 * The customer timeline's one entry per activity (`activity:<id>`) and per task (`task:<id>`),
 * as a row model (rows.ts): off the timeline (occurred_at null) while not done, its owner and
 * what it is about kept as they stand now. No other entry is read or written by these events,
 * so a batch folds them apart from the deals' and profiles' entries (customerTimeline.ts).
 */
const ACTIVITY_TYPES = new Set<string>(ACTIVITY_EVENT_TYPES);

const eventOf = (e: StoredEvent) => ({ type: e.eventType, data: e.payload }) as ActivityEvent | TaskEvent;

function keyOf(e: StoredEvent): Row {
  const event = eventOf(e);
  // A creation's entry is named by the id in its payload, an edit's by its stream, as before.
  const id = event.type === 'ActivityCreatedEvent' ? event.data.activityId : event.type === 'TaskCreatedEvent' ? event.data.taskId : e.aggregateId;
  return { tenant_id: e.tenantId, entry_id: `${ACTIVITY_TYPES.has(e.eventType) ? 'activity' : 'task'}:${id}` };
}

/** details || fields, as jsonb merges them: a field left undefined is not there to merge. */
function merged(row: Row, fields: Record<string, unknown>): Record<string, unknown> {
  const out = { ...(row.details as Record<string, unknown>) };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

/** An edit: the shown fields it changed, and what the work is about now (undefined: unchanged). */
function edited(row: Row, fields: Record<string, unknown>, relatedTo: { type: string; id: string } | null | undefined): Row {
  const about = relatedTo === undefined ? {} : { related_type: relatedTo?.type ?? null, related_id: relatedTo?.id ?? null };
  return { ...row, details: merged(row, fields), ...about };
}

function reduce(row: Row | undefined, e: StoredEvent, key: Row): Row | undefined {
  const event = eventOf(e);
  if (event.type === 'ActivityCreatedEvent' || event.type === 'TaskCreatedEvent') {
    // A replayed creation finds its entry and changes nothing.
    if (row) return undefined;
    if (event.type === 'TaskCreatedEvent') {
      const d = event.data;
      return {
        ...key,
        kind: 'task_completion',
        occurred_at: null,
        record_type: 'task',
        record_id: e.aggregateId,
        owner_id: d.assigneeId,
        related_type: d.relatedTo?.type ?? null,
        related_id: d.relatedTo?.id ?? null,
        details: { taskId: d.taskId, title: d.title, type: d.taskType },
      };
    }
    const d = event.data;
    return {
      ...key,
      kind: 'activity',
      occurred_at: d.status === 'completed' ? d.completedDate : null,
      record_type: 'activity',
      record_id: e.aggregateId,
      owner_id: d.ownerId,
      related_type: d.relatedTo.type,
      related_id: d.relatedTo.id,
      details: { activityId: d.activityId, type: d.type, subject: d.subject, outcome: null, completedBy: d.status === 'completed' ? d.createdBy : null },
    };
  }
  // An edit of an entry that is not there changes nothing.
  if (!row) return undefined;
  switch (event.type) {
    case 'ActivityUpdatedEvent': {
      const { type, subject, relatedTo } = event.data;
      return edited(row, { type, subject }, relatedTo);
    }
    case 'ActivityCompletedEvent':
      return { ...row, occurred_at: event.data.completedDate, details: merged(row, { outcome: event.data.outcome, completedBy: event.data.completedBy }) };
    case 'ActivityReopenedEvent':
    case 'TaskReopenedEvent':
      return { ...row, occurred_at: null };
    case 'ActivityReassignedEvent':
      return { ...row, owner_id: event.data.ownerId };
    case 'TaskUpdatedEvent': {
      const { title, taskType, relatedTo } = event.data;
      return edited(row, { title, type: taskType }, relatedTo);
    }
    case 'TaskCompletedEvent':
      return { ...row, occurred_at: event.data.completedAt, details: merged(row, { completedBy: event.data.completedBy, note: event.data.note }) };
    case 'TaskReassignedEvent':
      return { ...row, owner_id: event.data.assigneeId };
    default:
      // A cancellation leaves the entry as it is.
      return undefined;
  }
}

export const workEntries = (table: string): RowModel => ({ table, keyColumns: ['tenant_id', 'entry_id'], keyOf, reduce });
