/**
 * Every stream category the service writes, one per aggregate: a tenant's log is the union of
 * `<category>-<tenant>:*` over these (compliance exports read it so).
 */
export const STREAM_CATEGORIES = ['opportunity', 'pipelineStage', 'forecast', 'customerProfile', 'lead', 'team', 'apiKey', 'territory', 'activity', 'task', 'stageTaskTemplate', 'quota', 'segmentation', 'dataSubject'] as const;
export type StreamCategory = (typeof STREAM_CATEGORIES)[number];
