import type { ApiRoute } from '../openapi.js';
import { apiKeyApi } from './apiKeys.js';
import { auditApi } from './audit.js';
import { customerApi } from './customers.js';
import { forecastApi } from './forecasts.js';
import { leadApi } from './leads.js';
import { opportunityEndpoints } from '../endpoints/opportunities.js';
import { pipelineEndpoints } from '../endpoints/pipeline.js';
import { stageEndpoints } from '../endpoints/stages.js';
import { teamApi } from './teams.js';

/** Every endpoint as the OpenAPI document lists it. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...auditApi,
  ...opportunityEndpoints,
  ...stageEndpoints,
  ...pipelineEndpoints,
  ...forecastApi,
  ...customerApi,
  ...leadApi,
  ...teamApi,
  ...apiKeyApi,
];
