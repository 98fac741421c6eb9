import type { DomainEvent } from '../decider.js';
import type { StageDefinition } from './stages.js';

/**
 * The whole set, normalised (codes UPPER_SNAKE, stages sorted by order, every stage with its
 * transitions listed in stage order): the set as of this revision is this one event.
 */
export type PipelineStagesConfigured = DomainEvent<
  'PipelineStagesConfiguredEvent',
  {
    stages: StageDefinition[];
    transitions: Record<string, string[]>;
    aliases: Record<string, string>;
  }
>;

/** One stage's name or default probability edited; only the changed fields are present. */
export type PipelineStageUpdated = DomainEvent<
  'PipelineStageUpdatedEvent',
  {
    stageCode: string;
    changedFields: string[];
    name?: string;
    probability?: number;
  }
>;

export type PipelineStageEvent = PipelineStagesConfigured | PipelineStageUpdated;

export const PIPELINE_STAGE_EVENT_TYPES = [
  'PipelineStagesConfiguredEvent',
  'PipelineStageUpdatedEvent',
] as const satisfies readonly PipelineStageEvent['type'][];
