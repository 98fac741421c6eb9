import { resolveStageCode } from '../aggregates/pipelineStage/stages.js';
import { type StageTaskTemplateState, type TemplateTask, stageTaskTemplateAggregate } from '../aggregates/stageTaskTemplate/index.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';

/** A stage's task template (seed 003's "create stage-specific tasks"): one stream per tenant and stage. */
export type StageTaskTemplateResult = CommandResult<StageTaskTemplateState>;

/** The stage code an input names in the tenant's set (any case, aliases resolved): the template's id. */
export async function templateStageOf(app: AppContext, tenantId: string, input: string): Promise<string> {
  return resolveStageCode(await app.stageSetFor(tenantId), input);
}

export async function configureStageTaskTemplate(
  app: AppContext,
  caller: Caller,
  input: { readonly stage: string; readonly tasks: readonly TemplateTask[] },
): Promise<StageTaskTemplateResult> {
  const stages = await app.stageSetFor(caller.access.tenantId);
  return app.execute(stageTaskTemplateAggregate, on(caller, input.stage), { type: 'ConfigureStageTaskTemplate', stage: input.stage, stages, tasks: input.tasks });
}
