import { validation } from '../../shared/errors.js';
import type { Decider } from '../decider.js';
import { stageCodes } from '../pipelineStage/stages.js';
import type { StageTaskTemplateCommand } from './commands.js';
import type { StageTaskTemplateEvent, TemplateTask } from './events.js';

export interface StageTaskTemplateState {
  readonly stage: string | null;
  /** Empty until configured. */
  readonly tasks: readonly TemplateTask[];
}

/** A stage gets at most this many tasks, each due within a year of the entry (texts and ids are checked at the edge). */
export const MAX_TEMPLATE_TASKS = 20;
export const MAX_DUE_IN_DAYS = 365;

/** Every problem at once, as details.fields (like the stage set's rules). */
function problemsOf(tasks: readonly TemplateTask[]): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (tasks.length > MAX_TEMPLATE_TASKS) problems.push({ field: 'tasks', message: `at most ${MAX_TEMPLATE_TASKS} tasks per stage` });
  tasks.forEach((t, i) => {
    if (!Number.isInteger(t.dueInDays) || t.dueInDays < 0 || t.dueInDays > MAX_DUE_IN_DAYS) {
      problems.push({ field: `tasks.${i}.due_in_days`, message: `must be a whole number of days, 0..${MAX_DUE_IN_DAYS}` });
    }
  });
  return problems;
}

const sameTasks = (a: readonly TemplateTask[], b: readonly TemplateTask[]) => JSON.stringify(a) === JSON.stringify(b);

function decide(command: StageTaskTemplateCommand, state: StageTaskTemplateState): StageTaskTemplateEvent[] {
  if (!command.stages.stages.some((s) => s.code === command.stage)) {
    throw validation(`Unknown stage "${command.stage}"`, { field: 'stage', requested_stage: command.stage, allowed_stages: stageCodes(command.stages) });
  }
  const problems = problemsOf(command.tasks);
  if (problems.length) throw validation('Invalid task template', { fields: problems });
  const tasks = command.tasks.map((t) => ({ ...t }));
  // Re-sending the template in force records nothing.
  if (sameTasks(tasks, state.tasks)) return [];
  return [{ type: 'StageTaskTemplateConfiguredEvent', data: { stage: command.stage, tasks, configuredBy: '' } }];
}

export const stageTaskTemplateDecider: Decider<StageTaskTemplateCommand, StageTaskTemplateEvent, StageTaskTemplateState> = {
  initialState: { stage: null, tasks: [] },
  evolve: (_state, event) => ({ stage: event.data.stage, tasks: event.data.tasks }),
  decide: (command, state, ctx) => decide(command, state).map((e) => ({ ...e, data: { ...e.data, configuredBy: ctx.actorId } })),
};
