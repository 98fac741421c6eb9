import { SEGMENTATION_AGGREGATE_ID, type SegmentDefinition, type SegmentationState, segmentationAggregate } from '../aggregates/segmentation/index.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';

/** A tenant's segment definitions (seed 003): one stream per tenant; admins replace them. */
export type SegmentSetResult = CommandResult<SegmentationState>;

export function configureSegments(app: AppContext, caller: Caller, input: { segments: readonly SegmentDefinition[] }): Promise<SegmentSetResult> {
  return app.execute(segmentationAggregate, on(caller, SEGMENTATION_AGGREGATE_ID), { type: 'ConfigureSegments', segments: input.segments });
}
