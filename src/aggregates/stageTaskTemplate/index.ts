import type { Aggregate } from '../../commands/handler.js';
import type { StageTaskTemplateCommand } from './commands.js';
import { type StageTaskTemplateState, stageTaskTemplateDecider } from './decider.js';
import type { StageTaskTemplateEvent } from './events.js';

/**
 * The tasks a deal gets on entering a stage, per tenant and stage: one stream each,
 * `stageTaskTemplate-<tenant>:<STAGE_CODE>`. Stage configuration, so the policy's `stages`
 * resource decides who may change it (admins) and read it (everyone in the tenant).
 */
export const stageTaskTemplateAggregate: Aggregate<StageTaskTemplateCommand, StageTaskTemplateEvent, StageTaskTemplateState> = {
  category: 'stageTaskTemplate',
  decider: stageTaskTemplateDecider,
  guard: { resource: 'stages' },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
