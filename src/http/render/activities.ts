import type { z } from 'zod';
import type { ActivityState } from '../../aggregates/activity/index.js';
import type { TaskState } from '../../aggregates/task/index.js';
import type { CommandResult } from '../../commands/handler.js';
import type { ActivityRow, TaskRow } from '../../projections/activityQueries.js';
import type { activityBody, activityResult, taskBody, taskResult } from '../responses/activities.js';
import type { Unwritten } from '../responses/common.js';

type Iso<T> = T extends null ? null : string;
const iso = <T extends Date | string | null>(d: T): Iso<T> => (d === null ? null : new Date(d).toISOString()) as Iso<T>;

/** Still to do and past its due date, at the moment of the answer. */
const isOverdue = (status: string, pending: string, due: Date | string | null, now: Date) => status === pending && due !== null && new Date(due).getTime() < now.getTime();

/** What an activity and a task have alike, from a row or a state: what it is about, when, how far along. */
interface Progress<R, D extends Date | string | null> {
  readonly description: string | null;
  readonly related: R;
  readonly due: D;
  readonly completed: Date | string | null;
  readonly status: string;
  readonly priority: string;
}

/** Those shared fields as answered; `pending` is the status of work still to do (what can be overdue). */
function progressFields<R, D extends Date | string | null>(w: Progress<R, D>, pending: string, now: Date) {
  return {
    description: w.description,
    related_to: w.related,
    due_date: iso(w.due),
    completed_date: iso(w.completed),
    status: w.status,
    priority: w.priority,
    overdue: isOverdue(w.status, pending, w.due, now),
  };
}

/** A read-model row's revision and times. */
const stamps = (row: { revision: string; created_at: Date; updated_at: Date }) => ({
  revision: String(row.revision),
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
});

export function activityDto(row: ActivityRow, now = new Date()): z.input<typeof activityBody> {
  return {
    id: row.activity_id,
    type: row.type,
    subject: row.subject,
    owner_id: row.owner_id,
    ...progressFields({ ...row, related: { type: row.related_type, id: row.related_id }, due: row.due_date, completed: row.completed_date }, 'planned', now),
    ...stamps(row),
  };
}

export function taskDto(row: TaskRow, now = new Date()): z.input<typeof taskBody> {
  return {
    id: row.task_id,
    title: row.title,
    type: row.task_type,
    assigned_to: row.assignee_id,
    ...progressFields(
      { ...row, related: row.related_type && row.related_id ? { type: row.related_type, id: row.related_id } : null, due: row.due_date, completed: row.completed_at },
      'open',
      now,
    ),
    ...stamps(row),
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
    owner_id: s.ownerId,
    ...progressFields({ ...s, related: s.relatedTo, due: s.dueDate, completed: s.completedDate }, 'planned', new Date()),
  };
}

export function renderTask(result: CommandResult<TaskState>): Unwritten<typeof taskResult> {
  const s = result.state;
  if (!s.exists) throw new Error('task command left no task'); // every task command needs one
  return {
    id: s.taskId,
    title: s.title,
    type: s.taskType,
    assigned_to: s.assigneeId,
    ...progressFields({ ...s, related: s.relatedTo, due: s.dueDate, completed: s.completedAt }, 'open', new Date()),
  };
}
