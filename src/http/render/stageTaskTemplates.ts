import type { z } from 'zod';
import type { TemplateTask } from '../../aggregates/stageTaskTemplate/index.js';
import type { stageTaskTemplateBody } from '../responses/stageTaskTemplates.js';

export function templateDto(stage: string, tasks: readonly TemplateTask[]): z.input<typeof stageTaskTemplateBody> {
  return {
    stage,
    tasks: tasks.map((t) => ({
      title: t.title,
      description: t.description,
      type: t.taskType,
      priority: t.priority,
      due_in_days: t.dueInDays,
      assignee: t.assignee.rule,
      assignee_id: t.assignee.rule === 'user' ? t.assignee.userId : null,
    })),
  };
}
