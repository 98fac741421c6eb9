import type { z } from 'zod';
import type { ActivityState } from '../../aggregates/activity/index.js';
import type { TaskState } from '../../aggregates/task/index.js';
import type { CommandResult } from '../../commands/handler.js';
import type { ActivityRow, TaskRow } from '../../projections/activityQueries.js';
import type { activityBody, activityResult, taskBody, taskResult } from '../responses/activities.js';
import type { Unwritten } from '../responses/common.js';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Still to do and past its due date, at the moment of the answer. */
const isOverdue = (status: string, pending: string, due: Date | string | null, now: Date) => status === pending && due !== null && new Date(due).getTime() < now.getTime();

export function activityDto(row: ActivityRow, now = new Date()): z.input<typeof activityBody> {
  return {
    id: row.activity_id,
    type: row.type,
    subject: row.subject,
    description: row.description,
    related_to: { type: row.related_type, id: row.related_id },
    owner_id: row.owner_id,
    due_date: iso(row.due_date),
    completed_date: iso(row.completed_date),
    status: row.status,
    priority: row.priority,
    overdue: isOverdue(row.status, 'planned', row.due_date, now),
    revision: String(row.revision),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function taskDto(row: TaskRow, now = new Date()): z.input<typeof taskBody> {
  return {
    id: row.task_id,
    title: row.title,
    description: row.description,
    type: row.task_type,
    assigned_to: row.assignee_id,
    related_to: row.related_type && row.related_id ? { type: row.related_type, id: row.related_id } : null,
    due_date: iso(row.due_date)!,
    completed_date: iso(row.completed_at),
    status: row.status,
    priority: row.priority,
    overdue: isOverdue(row.status, 'open', row.due_date, now),
    revision: String(row.revision),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** A command's outcome, from the activity's own state (the read model may lag). */
export function renderActivity(result: CommandResult<ActivityState>): Unwritten<typeof activityResult> {
  const s = result.state;
  if (!s.exists) throw new Error('activity command left no activity'); // every activity command needs one
  return {
    id: s.activityId,
    type: s.type,
    subject: s.subject,
    description: s.description,
    related_to: s.relatedTo,
    owner_id: s.ownerId,
    due_date: s.dueDate,
    completed_date: s.completedDate,
    status: s.status,
    priority: s.priority,
    overdue: isOverdue(s.status, 'planned', s.dueDate, new Date()),
  };
}

export function renderTask(result: CommandResult<TaskState>): Unwritten<typeof taskResult> {
  const s = result.state;
  if (!s.exists) throw new Error('task command left no task'); // every task command needs one
  return {
    id: s.taskId,
    title: s.title,
    description: s.description,
    type: s.taskType,
    assigned_to: s.assigneeId,
    related_to: s.relatedTo,
    due_date: s.dueDate,
    completed_date: s.completedAt,
    status: s.status,
    priority: s.priority,
    overdue: isOverdue(s.status, 'open', s.dueDate, new Date()),
  };
}
