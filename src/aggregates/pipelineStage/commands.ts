import type { StageKind } from './stages.js';

/** A stage as a client describes it: any case for the code, order defaulting to its position. */
export interface StageInput {
  readonly code: string;
  readonly name: string;
  readonly order?: number;
  readonly probability: number;
  readonly kind: StageKind;
}

/** One stream per tenant (aggregate id 'default'); the rules live in decide. */
export type PipelineStageCommand =
  | {
      /** Replaces the whole set. */
      type: 'ConfigureStages';
      stages: readonly StageInput[];
      /**
       * Allowed moves by from-stage. Omitted: every open stage may move to any other stage.
       * An open stage missing from the map may likewise move anywhere.
       */
      transitions?: Readonly<Record<string, readonly string[]>>;
      /** Other spellings accepted for a stage, alias → code. Omitted: none. */
      aliases?: Readonly<Record<string, string>>;
    }
  | { type: 'UpdateStage'; stage: string; name?: string; probability?: number };
