import { z } from 'zod';
import { PRIORITIES } from '../../aggregates/activity/index.js';
import type { TemplateTask } from '../../aggregates/stageTaskTemplate/index.js';
import { TASK_TYPES } from '../../aggregates/task/index.js';
import { integer, oneOf, text, userId } from '../fields.js';

/** One task of a stage's template, as the task it creates reads (title, type, priority), due N days after the entry. */
const templateTask = z
  .strictObject({
    title: text(200),
    description: text(4000).nullable().optional(),
    type: oneOf(TASK_TYPES, 'lower').optional(),
    priority: oneOf(PRIORITIES, 'lower').optional(),
    due_in_days: integer(0, Number.MAX_SAFE_INTEGER).meta({ description: 'days after the deal entered the stage (0..365); due at the end of that UTC day' }),
    assignee: oneOf(['opportunity_owner', 'user'], 'lower')
      .optional()
      .meta({ description: 'opportunity_owner (default): the deal owner when it entered the stage; user: assignee_id' }),
    assignee_id: userId.optional(),
  })
  .refine((t) => (t.assignee === 'user') === (t.assignee_id !== undefined), {
    message: 'assignee_id is given exactly when assignee is "user"',
    path: ['assignee_id'],
  })
  .transform(
    (t): TemplateTask => ({
      title: t.title,
      description: t.description ?? null,
      taskType: t.type ?? 'follow_up',
      priority: t.priority ?? 'normal',
      dueInDays: t.due_in_days,
      assignee: t.assignee === 'user' ? { rule: 'user', userId: t.assignee_id! } : { rule: 'opportunity_owner' },
    }),
  );

/** PUT: the stage's whole template; [] clears it. */
export const stageTaskTemplateBody = z.strictObject({ tasks: z.array(templateTask) });
