import { activitiesProjection, tasksProjection } from './activities.js';
import { apiKeysProjection } from './apiKeys.js';
import { customerTimelineProjection } from './customerTimeline.js';
import { customersProjection } from './customers.js';
import { forecastsProjection } from './forecasts.js';
import { leadsProjection } from './leads.js';
import { opportunitiesProjection } from './opportunities.js';
import type { Projection } from './projection.js';
import { quotasProjection } from './quotas.js';
import { salesAnalyticsProjection } from './salesAnalytics.js';
import { segmentFactsProjection } from './segmentFacts.js';
import { teamsProjection } from './teams.js';
import { territoriesProjection } from './territories.js';

/** Every projection the service runs and the replay tool can rebuild. */
export const projections: readonly Projection[] = [
  opportunitiesProjection,
  salesAnalyticsProjection,
  forecastsProjection,
  customersProjection,
  leadsProjection,
  teamsProjection,
  apiKeysProjection,
  territoriesProjection,
  activitiesProjection,
  tasksProjection,
  customerTimelineProjection,
  segmentFactsProjection,
  quotasProjection,
];
