import type { ApiRoute } from '../openapi.js';
import { analyticsApi } from './analytics.js';
import { apiKeyApi } from './apiKeys.js';
import { auditApi } from './audit.js';
import { customerApi } from './customers.js';
import { forecastApi } from './forecasts.js';
import { leadApi } from './leads.js';
import { opportunityApi } from './opportunities.js';
import { pipelineApi } from './pipeline.js';
import { stageApi } from './stages.js';
import { teamApi } from './teams.js';

/** Every endpoint as the OpenAPI document lists it. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...analyticsApi,
  ...auditApi,
  ...opportunityApi,
  ...stageApi,
  ...pipelineApi,
  ...forecastApi,
  ...customerApi,
  ...leadApi,
  ...teamApi,
  ...apiKeyApi,
];
