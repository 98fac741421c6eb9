import { forecastRefresh } from './forecastRefresh.js';
import { leadFollowUp } from './leadFollowUp.js';
import { quotaAttainment } from './quotaAttainment.js';
import { segmentation } from './segmentation.js';
import { stageTasks } from './stageTasks.js';
import type { Workflow } from './workflow.js';

/** Every workflow the service runs (seed 003's; seed 004's forecast refresh and quota attainment), each its own checkpointed subscription. */
export const workflows: readonly Workflow[] = [leadFollowUp, stageTasks, forecastRefresh, quotaAttainment, segmentation];
