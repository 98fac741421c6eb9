import type { SegmentDefinition } from './definitions.js';

/** One stream per tenant (aggregate id 'default'): the whole set is replaced at once. */
export type SegmentationCommand = { type: 'ConfigureSegments'; segments: readonly SegmentDefinition[] };
