import { z } from 'zod';
import { historyEntryBody, instant, nullable, written } from './common.js';

const templateTask = z.object({
  title: z.string(),
  description: nullable(z.string()),
  type: z.string(),
  priority: z.string(),
  due_in_days: z.number().int(),
  assignee: z.enum(['opportunity_owner', 'user']),
  assignee_id: nullable(z.string()),
});

export const stageTaskTemplateBody = z.object({ stage: z.string(), tasks: z.array(templateTask) });
export const stageTaskTemplateView = stageTaskTemplateBody.extend({ revision: z.string(), updated_at: nullable(instant), updated_by: nullable(z.string()) });
export const stageTaskTemplateResult = stageTaskTemplateBody.extend(written);
export const stageTaskTemplateHistory = z.object({ stage: z.string(), data: z.array(historyEntryBody.extend({ tasks: z.array(templateTask) })) });
