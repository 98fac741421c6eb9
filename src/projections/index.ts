import { opportunitiesProjection } from './opportunities.js';
import type { Projection } from './runner.js';

/** Every projection the service runs and the replay tool can rebuild. */
export const projections: readonly Projection[] = [opportunitiesProjection];
