import type { DomainEvent } from '../decider.js';
import type { SegmentDefinition } from './definitions.js';

/** The whole normalised set: the definitions as of this revision are this one event. */
export type SegmentsConfigured = DomainEvent<'SegmentsConfiguredEvent', { segments: SegmentDefinition[]; configuredBy: string }>;

export type SegmentationEvent = SegmentsConfigured;

export const SEGMENTATION_EVENT_TYPES = ['SegmentsConfiguredEvent'] as const satisfies readonly SegmentationEvent['type'][];
