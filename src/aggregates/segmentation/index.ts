import type { Aggregate } from '../../commands/handler.js';
import type { SegmentationCommand } from './commands.js';
import { type SegmentationState, segmentationDecider } from './decider.js';
import type { SegmentationEvent } from './events.js';

/** A tenant's segment definitions: one stream per tenant, `segmentation-<tenant>:default`. */
export const SEGMENTATION_AGGREGATE_ID = 'default';

export const segmentationAggregate: Aggregate<SegmentationCommand, SegmentationEvent, SegmentationState> = {
  category: 'segmentation',
  decider: segmentationDecider,
  guard: { resource: 'segments' },
};

export * from './commands.js';
export * from './decider.js';
export * from './definitions.js';
export * from './events.js';
export * from './membership.js';
