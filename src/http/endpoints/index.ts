import type { ApiDeps } from '../deps.js';
import type { Endpoint } from '../endpoint.js';
import { activityEndpoints } from './activities.js';
import { adminEndpoints } from './admin.js';
import { auditEndpoints } from './audit.js';
import { customerEndpoints } from './customers.js';
import { forecastEndpoints } from './forecasts.js';
import { integrityEndpoints } from './integrity.js';
import { leadEndpoints } from './leads.js';
import { opportunityEndpoints } from './opportunities.js';
import { pipelineEndpoints } from './pipeline.js';
import { privacyEndpoints } from './privacy.js';
import { segmentEndpoints } from './segments.js';
import { quotaEndpoints } from './quotas.js';
import { stageEndpoints } from './stages.js';
import { stageTaskTemplateEndpoints } from './stageTaskTemplates.js';
import { taskEndpoints } from './tasks.js';
import { territoryEndpoints } from './territories.js';

/**
 * Every REST endpoint, in the order the router tries them (the pipeline before
 * /opportunities/{id}, which would take "pipeline" for an id); the OpenAPI document lists them.
 */
export const API_ENDPOINTS: readonly Endpoint<ApiDeps>[] = [
  ...pipelineEndpoints,
  ...opportunityEndpoints,
  ...stageEndpoints,
  ...segmentEndpoints,
  ...stageTaskTemplateEndpoints,
  ...leadEndpoints,
  ...customerEndpoints,
  ...forecastEndpoints,
  ...territoryEndpoints,
  ...quotaEndpoints,
  ...activityEndpoints,
  ...taskEndpoints,
  ...adminEndpoints,
  ...auditEndpoints,
  ...integrityEndpoints,
  ...privacyEndpoints,
];
