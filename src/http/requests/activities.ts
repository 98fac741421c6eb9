import { z } from 'zod';
import { ACTIVITY_STATUSES, ACTIVITY_TYPES, INSTANT_RULE, PRIORITIES, RELATED_TYPES, canonicalInstant } from '../../aggregates/activity/index.js';
import { TASK_STATUSES, TASK_TYPES } from '../../aggregates/task/index.js';
import { id, minPosition, oneOf, pagination, text, userId } from '../fields.js';

/** Activity and task bodies and queries (snake_case as seed 004), each transformed into its use case's input. */

/** An instant as ISO-8601, or a whole day YYYY-MM-DD; kept as given (the decider makes it canonical). */
export const instantInput = z
  .string()
  .trim()
  .refine((t) => canonicalInstant(t) !== undefined, `must be ${INSTANT_RULE}`)
  .meta({ type: 'string', example: '2026-03-05T09:00:00Z', description: INSTANT_RULE });

const relatedTo = z.strictObject({ type: oneOf(RELATED_TYPES, 'lower'), id });
const priority = oneOf(PRIORITIES, 'lower');
const reason = text(500).optional();

export const createActivityBody = z
  .strictObject({
    id: id.optional(),
    type: oneOf(ACTIVITY_TYPES, 'lower'),
    subject: text(200),
    description: text(4000).optional(),
    related_to: relatedTo,
    /** Default: the caller. */
    owner_id: userId.optional(),
    due_date: instantInput.optional(),
    priority: priority.optional(),
    /** Logs something already done (a call just made): the activity is created completed. */
    completed_date: instantInput.optional(),
  })
  .transform((b) => ({
    activityId: b.id ?? crypto.randomUUID(),
    activityType: b.type,
    subject: b.subject,
    description: b.description,
    relatedTo: b.related_to,
    ownerId: b.owner_id,
    dueDate: b.due_date,
    priority: b.priority,
    completedDate: b.completed_date,
  }));

export const updateActivityBody = z
  .strictObject({
    type: oneOf(ACTIVITY_TYPES, 'lower').optional(),
    subject: text(200).optional(),
    description: text(4000).nullable().optional(),
    related_to: relatedTo.optional(),
    due_date: instantInput.nullable().optional(),
    priority: priority.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update: give type, subject, description, related_to, due_date or priority' })
  .transform((b) => ({ activityType: b.type, subject: b.subject, description: b.description, relatedTo: b.related_to, dueDate: b.due_date, priority: b.priority }));

export const completeActivityBody = z
  .strictObject({ completed_date: instantInput.optional(), outcome: text(2000).optional() })
  .transform((b) => ({ completedDate: b.completed_date, outcome: b.outcome }));

export const reasonBody = z.strictObject({ reason }).transform((b) => ({ reason: b.reason }));

export const reassignActivityBody = z.strictObject({ owner_id: userId, reason }).transform((b) => ({ ownerId: b.owner_id, reason: b.reason }));

export const createTaskBody = z
  .strictObject({
    id: id.optional(),
    /** Seed 003's Task.title. */
    title: text(200),
    description: text(4000).optional(),
    /** Seed 003's Task.assignedTo; default: the caller. */
    assigned_to: userId.optional(),
    related_to: relatedTo.optional(),
    due_date: instantInput,
    priority: priority.optional(),
    type: oneOf(TASK_TYPES, 'lower').optional(),
  })
  .transform((b) => ({
    taskId: b.id ?? crypto.randomUUID(),
    title: b.title,
    description: b.description,
    assigneeId: b.assigned_to,
    relatedTo: b.related_to,
    dueDate: b.due_date,
    priority: b.priority,
    taskType: b.type,
  }));

export const updateTaskBody = z
  .strictObject({
    title: text(200).optional(),
    description: text(4000).nullable().optional(),
    related_to: relatedTo.nullable().optional(),
    due_date: instantInput.optional(),
    priority: priority.optional(),
    type: oneOf(TASK_TYPES, 'lower').optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update: give title, description, related_to, due_date, priority or type' })
  .transform((b) => ({ title: b.title, description: b.description, relatedTo: b.related_to, dueDate: b.due_date, priority: b.priority, taskType: b.type }));

export const completeTaskBody = z.strictObject({ note: text(2000).optional() }).transform((b) => ({ note: b.note }));

export const reassignTaskBody = z.strictObject({ assigned_to: userId, reason }).transform((b) => ({ assigneeId: b.assigned_to, reason: b.reason }));

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const instantQuery = instantInput.transform((t) => new Date(canonicalInstant(t)!));

/** Filters both lists take: related record, status, due window, overdue; seed 004 pagination. */
const workQuery = pagination.extend({
  related_type: oneOf(RELATED_TYPES, 'lower').optional(),
  related_id: id.optional(),
  /** About this customer (or a profile merged into it), one of its deals, or the lead it came from. */
  customer_id: id.optional(),
  due_before: instantQuery.optional(),
  due_after: instantQuery.optional(),
  /** true: still to do and past its due date; false: everything else. */
  overdue: bool.optional(),
  priority: priority.optional(),
  min_position: minPosition,
});

const relatedNeedsType = <T extends { related_id?: string | undefined; related_type?: string | undefined }>(q: T) => !(q.related_id && !q.related_type);
const RELATED_RULE = { message: 'related_id needs related_type (lead, opportunity or customer)', path: ['related_type'] };

export const listActivitiesQuery = workQuery
  .extend({ owner_id: userId.optional(), status: oneOf(ACTIVITY_STATUSES, 'lower').optional(), type: oneOf(ACTIVITY_TYPES, 'lower').optional() })
  .refine(relatedNeedsType, RELATED_RULE);

export const listTasksQuery = workQuery
  .extend({ assigned_to: userId.optional(), status: oneOf(TASK_STATUSES, 'lower').optional(), type: oneOf(TASK_TYPES, 'lower').optional() })
  .refine(relatedNeedsType, RELATED_RULE);

type WorkQuery = z.output<typeof listActivitiesQuery> | z.output<typeof listTasksQuery>;

/** A parsed list query as the read model's filters (GET /activities, /tasks and their GraphQL queries). */
export const workFilters = (q: WorkQuery, ownerId: string | undefined, now: Date) => ({
  ownerId,
  relatedType: q.related_type,
  relatedId: q.related_id,
  customerId: q.customer_id,
  status: q.status,
  type: q.type,
  priority: q.priority,
  dueBefore: q.due_before,
  dueAfter: q.due_after,
  overdue: q.overdue,
  now,
});
