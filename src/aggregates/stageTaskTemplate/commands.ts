import type { StageSet } from '../pipelineStage/stages.js';
import type { TemplateTask } from './events.js';

/** Replaces a stage's template; `stages` is the tenant's set, which must hold the stage. */
export type StageTaskTemplateCommand = {
  type: 'ConfigureStageTaskTemplate';
  /** The stage code (the stream's id), resolved from the input's spelling and aliases. */
  stage: string;
  stages: StageSet;
  tasks: readonly TemplateTask[];
};
