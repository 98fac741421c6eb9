import { activitiesProjection, tasksProjection } from '../projections/activities.js';
import { WORK_SCOPE_READ_MODELS } from '../projections/activityQueries.js';
import { customersProjection } from '../projections/customers.js';
import { forecastsProjection } from '../projections/forecasts.js';
import { leadsProjection } from '../projections/leads.js';
import { opportunitiesProjection } from '../projections/opportunities.js';
import { territoriesProjection } from '../projections/territories.js';

/**
 * The read models a GraphQL record is answered from: its own, then those of what it names (an
 * opportunity's account and territory, a forecast's pipeline figures, the related records that
 * decide who sees a piece of work). A mutation's answer, and
 * a query given X-Min-Position, wait for all of them, so a nested field never answers from a read
 * model that has not yet taken in a write the caller already saw.
 */
export const READ_MODELS = {
  opportunity: [opportunitiesProjection.name, customersProjection.name, territoriesProjection.name],
  lead: [leadsProjection.name, territoriesProjection.name],
  forecast: [forecastsProjection.name, territoriesProjection.name, opportunitiesProjection.name],
  pipeline: [opportunitiesProjection.name],
  territory: [territoriesProjection.name],
  activity: [activitiesProjection.name, ...WORK_SCOPE_READ_MODELS],
  task: [tasksProjection.name, ...WORK_SCOPE_READ_MODELS],
} satisfies Record<string, readonly string[]>;
