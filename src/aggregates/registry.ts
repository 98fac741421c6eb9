import type { Aggregate } from '../commands/handler.js';
import { activityAggregate } from './activity/index.js';
import type { StreamCategory } from './categories.js';
import { dataSubjectAggregate } from './dataSubject/index.js';
import { customerProfileAggregate } from './customerProfile/index.js';
import type { DomainEvent } from './decider.js';
import { forecastAggregate } from './forecast/index.js';
import { leadAggregate } from './lead/index.js';
import { opportunityAggregate } from './opportunity/index.js';
import { apiKeyAggregate } from './apiKey/index.js';
import { pipelineStageAggregate } from './pipelineStage/index.js';
import { segmentationAggregate } from './segmentation/index.js';
import { quotaAggregate } from './quota/index.js';
import { stageTaskTemplateAggregate } from './stageTaskTemplate/index.js';
import { taskAggregate } from './task/index.js';
import { teamAggregate } from './team/index.js';
import { territoryAggregate } from './territory/index.js';

/** Folding only: a generic view of any aggregate, for replays that work on every stream. */
export type AnyAggregate = Aggregate<never, DomainEvent, unknown>;

/** Every aggregate by its stream category (one entry per STREAM_CATEGORIES member). */
export const AGGREGATES: Readonly<Record<StreamCategory, AnyAggregate>> = {
  opportunity: opportunityAggregate as unknown as AnyAggregate,
  pipelineStage: pipelineStageAggregate as unknown as AnyAggregate,
  forecast: forecastAggregate as unknown as AnyAggregate,
  customerProfile: customerProfileAggregate as unknown as AnyAggregate,
  lead: leadAggregate as unknown as AnyAggregate,
  team: teamAggregate as unknown as AnyAggregate,
  apiKey: apiKeyAggregate as unknown as AnyAggregate,
  territory: territoryAggregate as unknown as AnyAggregate,
  activity: activityAggregate as unknown as AnyAggregate,
  task: taskAggregate as unknown as AnyAggregate,
  segmentation: segmentationAggregate as unknown as AnyAggregate,
  stageTaskTemplate: stageTaskTemplateAggregate as unknown as AnyAggregate,
  quota: quotaAggregate as unknown as AnyAggregate,
  dataSubject: dataSubjectAggregate as unknown as AnyAggregate,
};
