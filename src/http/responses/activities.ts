import { z } from 'zod';
import { ACTIVITY_STATUSES, ACTIVITY_TYPES, PRIORITIES, RELATED_TYPES } from '../../aggregates/activity/index.js';
import { TASK_STATUSES, TASK_TYPES } from '../../aggregates/task/index.js';
import { instant, nullable, pageOf, written } from './common.js';

const relatedTo = z.object({ type: z.string().meta({ enum: [...RELATED_TYPES] }), id: z.string() });
const priority = z.string().meta({ enum: [...PRIORITIES] });

/** One activity (seed 003's Activity, snake_case), from the read model or the aggregate. */
export const activityBody = z.object({
  id: z.string(),
  type: z.string().meta({ enum: [...ACTIVITY_TYPES] }),
  subject: z.string(),
  description: nullable(z.string()),
  related_to: relatedTo,
  owner_id: z.string(),
  due_date: nullable(instant),
  completed_date: nullable(instant),
  status: z.string().meta({ enum: [...ACTIVITY_STATUSES] }),
  priority,
  overdue: z.boolean(),
  revision: z.string(),
  created_at: nullable(instant).optional(),
  updated_at: nullable(instant).optional(),
});
export const activityPage = pageOf(activityBody);
export const activityResult = activityBody.omit({ revision: true }).extend(written);

/** One task (seed 003's Task, snake_case). */
export const taskBody = z.object({
  id: z.string(),
  title: z.string(),
  description: nullable(z.string()),
  type: z.string().meta({ enum: [...TASK_TYPES] }),
  assigned_to: z.string(),
  related_to: nullable(relatedTo),
  due_date: instant,
  completed_date: nullable(instant),
  status: z.string().meta({ enum: [...TASK_STATUSES] }),
  priority,
  overdue: z.boolean(),
  revision: z.string(),
  created_at: nullable(instant).optional(),
  updated_at: nullable(instant).optional(),
});
export const taskPage = pageOf(taskBody);
export const taskResult = taskBody.omit({ revision: true }).extend(written);
