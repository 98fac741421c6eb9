import type { Priority } from '../activity/related.js';
import type { DomainEvent } from '../decider.js';
import type { TaskType } from '../task/events.js';

/** Who a template's task goes to: the deal's owner when it entered the stage, or a named user. */
export type AssigneeRule = { readonly rule: 'opportunity_owner' } | { readonly rule: 'user'; readonly userId: string };

/** One task a deal gets on entering the stage (the Task's fields, due N days after the entry). */
export interface TemplateTask {
  readonly title: string;
  readonly description: string | null;
  readonly taskType: TaskType;
  readonly priority: Priority;
  readonly dueInDays: number;
  readonly assignee: AssigneeRule;
}

/** The stage's whole template as it is from now on (an empty list: no tasks). */
export type StageTaskTemplateConfigured = DomainEvent<
  'StageTaskTemplateConfiguredEvent',
  { stage: string; tasks: TemplateTask[]; configuredBy: string }
>;

export type StageTaskTemplateEvent = StageTaskTemplateConfigured;

export const STAGE_TASK_TEMPLATE_EVENT_TYPES = ['StageTaskTemplateConfiguredEvent'] as const satisfies readonly StageTaskTemplateEvent['type'][];
