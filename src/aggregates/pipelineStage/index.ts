import type { Aggregate } from '../../commands/handler.js';
import type { PipelineStageCommand } from './commands.js';
import { type PipelineStageState, pipelineStageDecider } from './decider.js';
import type { PipelineStageEvent } from './events.js';

/** A tenant's stage configuration: one stream per tenant, `pipelineStage-<tenant>:default`. */
export const STAGE_SET_AGGREGATE_ID = 'default';

export const pipelineStageAggregate: Aggregate<PipelineStageCommand, PipelineStageEvent, PipelineStageState> = {
  category: 'pipelineStage',
  decider: pipelineStageDecider,
  guard: { resource: 'stages' },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
export * from './stages.js';
