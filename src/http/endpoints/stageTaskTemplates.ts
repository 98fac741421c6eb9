import { findStage } from '../../aggregates/pipelineStage/stages.js';
import { stageTaskTemplateAggregate, stageTaskTemplateDecider } from '../../aggregates/stageTaskTemplate/index.js';
import { loadAggregate } from '../../commands/load.js';
import { configureStageTaskTemplate, templateStageOf } from '../../commands/stageTaskTemplates.js';
import { notFound } from '../../shared/errors.js';
import { commandReply, etagOf } from '../commandReply.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint } from '../endpoint.js';
import { historyEntry, lastChange } from '../history.js';
import { templateDto } from '../render/stageTaskTemplates.js';
import { stageTaskTemplateBody } from '../requests/stageTaskTemplates.js';
import { stageTaskTemplateHistory, stageTaskTemplateResult, stageTaskTemplateView } from '../responses/stageTaskTemplates.js';

const TEMPLATE = '/api/v1/pipeline/stages/{code}/task-template';

/** The template's stream, read whole (a few events): strongly consistent. 404 for a stage neither in the set nor ever templated. */
async function loadTemplate(call: Call<unknown, unknown, ApiDeps>) {
  const { tenantId } = call.access;
  const stage = await templateStageOf(call.deps, tenantId, call.params.code!);
  const loaded = await loadAggregate(call.deps.store, stageTaskTemplateAggregate, tenantId, stage);
  if (loaded.events.length === 0 && !findStage(await call.deps.stageSetFor(tenantId), stage)) {
    throw notFound(`Stage ${call.params.code} not found`, { stage: call.params.code });
  }
  return { stage, ...loaded };
}

/**
 * Per-stage task templates (seed 003's "create stage-specific tasks"): the tasks a deal gets when
 * it enters the stage, configured like the stage set itself (admins change, everyone reads).
 */
export const stageTaskTemplateEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'get',
    path: TEMPLATE,
    summary: "A stage's task template: the tasks a deal gets on entering it (empty until configured; ETag -1)",
    access: ['stages', 'read'],
    success: 200,
    response: stageTaskTemplateView,
    handle: async (call) => {
      const { stage, state, revision, events } = await loadTemplate(call);
      return { headers: { ETag: etagOf(revision) }, body: { ...templateDto(stage, state.tasks), ...lastChange(events, revision) } };
    },
  }),
  endpoint({
    method: 'put',
    path: TEMPLATE,
    summary: "Replace a stage's task template (admin); deals entering the stage from now on get these tasks",
    access: ['stages', 'write'],
    body: stageTaskTemplateBody,
    success: 200,
    response: stageTaskTemplateResult,
    ifMatch: true,
    handle: async (call) => {
      const stage = await templateStageOf(call.deps, call.access.tenantId, call.params.code!);
      return commandReply(call, {
        aggregate: stageTaskTemplateAggregate,
        aggregateId: stage,
        status: 200,
        run: (caller) => configureStageTaskTemplate(call.deps, caller, { stage, tasks: call.body.tasks }),
        render: (result) => templateDto(stage, result.state.tasks),
      });
    },
  }),
  endpoint({
    method: 'get',
    path: `${TEMPLATE}/history`,
    summary: "Audit trail of a stage's task template: every change with its actor, and the template in force from it on",
    access: ['stages', 'read'],
    success: 200,
    response: stageTaskTemplateHistory,
    handle: async (call) => {
      const { stage, events, revision } = await loadTemplate(call);
      const data = events.map((e) => {
        const state = stageTaskTemplateDecider.evolve(stageTaskTemplateDecider.initialState, { type: 'StageTaskTemplateConfiguredEvent', data: e.payload });
        return { ...historyEntry(e), tasks: templateDto(stage, state.tasks).tasks };
      });
      return { headers: { ETag: etagOf(revision) }, body: { stage, data } };
    },
  }),
];
