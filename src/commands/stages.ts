import { type PipelineStageState, STAGE_SET_AGGREGATE_ID, type StageInput, pipelineStageAggregate } from '../aggregates/pipelineStage/index.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';

/** A tenant's stage configuration (seed 002): one stream per tenant; admins change it. */
export type StageSetResult = CommandResult<PipelineStageState>;

export interface ConfigureStagesInput {
  readonly stages: readonly StageInput[];
  readonly transitions?: Readonly<Record<string, readonly string[]>>;
  readonly aliases?: Readonly<Record<string, string>>;
}

export function configureStages(app: AppContext, caller: Caller, input: ConfigureStagesInput): Promise<StageSetResult> {
  return app.execute(pipelineStageAggregate, on(caller, STAGE_SET_AGGREGATE_ID), { type: 'ConfigureStages', ...input });
}

export interface UpdateStageInput {
  readonly stage: string;
  readonly name?: string;
  readonly probability?: number;
}

export function updateStage(app: AppContext, caller: Caller, input: UpdateStageInput): Promise<StageSetResult> {
  return app.execute(pipelineStageAggregate, on(caller, STAGE_SET_AGGREGATE_ID), { type: 'UpdateStage', ...input });
}
