import { STAGE_SET_AGGREGATE_ID, pipelineStageAggregate } from '../../aggregates/pipelineStage/index.js';
import { loadAggregate } from '../../commands/load.js';
import { type Moment, aggregateStateAsOf } from '../../compliance/asOf.js';
import { streamName } from '../../eventstore/streams.js';
import { asOfQuery } from '../fields.js';
import { type StageSetResult, configureStages, updateStage } from '../../commands/stages.js';
import { commandReply, etagOf } from '../commandReply.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint } from '../endpoint.js';
import { configurationHistory } from '../configuration.js';
import { lastChange } from '../history.js';
import { stageChangesOf, stageSetDto } from '../render/stages.js';
import { configureStagesBody, updateStageBody } from '../requests/stages.js';
import { stageHistoryBody, stageSetResult, stageSetViewBody } from '../responses/admin.js';
import type { Caller } from '../../commands/context.js';

const BASE = '/api/v1/pipeline/stages';

/**
 * A tenant's pipeline stage configuration: the stages with their default probabilities, the
 * allowed transitions and the accepted aliases. Reads come from the stream itself (a few
 * events), so they are strongly consistent.
 */
export const stageEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'get',
    path: BASE,
    summary: "The tenant's stage set with transitions and aliases (defaults until configured; ETag -1); as_of / as_of_revision: the set in force then",
    access: ['stages', 'read'],
    query: asOfQuery,
    success: 200,
    response: stageSetViewBody,
    handle: async (call) => {
      const moment = call.query as Moment | undefined;
      const { tenantId } = call.access;
      const { state, revision, events } = moment
        ? await aggregateStateAsOf(call.deps.store, pipelineStageAggregate, streamName({ category: pipelineStageAggregate.category, tenantId, aggregateId: STAGE_SET_AGGREGATE_ID }), moment)
        : await loadAggregate(call.deps.store, pipelineStageAggregate, tenantId, STAGE_SET_AGGREGATE_ID);
      return { headers: { ETag: etagOf(revision) }, body: { ...stageSetDto(state), ...lastChange(events, revision) } };
    },
  }),
  endpoint({
    method: 'put',
    path: BASE,
    summary: 'Replace the stage set (admin)',
    access: ['stages', 'write'],
    body: configureStagesBody,
    success: 200,
    response: stageSetResult,
    ifMatch: true,
    handle: (call) => reply(call, (caller) => configureStages(call.deps, caller, call.body)),
  }),
  // Before /{code}, which would take "history" for a stage.
  endpoint({
    method: 'get',
    path: `${BASE}/history`,
    summary: 'Audit trail of the stage configuration: every change with its actor, and the set in force from it on',
    access: ['stages', 'read'],
    success: 200,
    response: stageHistoryBody,
    handle: (call) =>
      configurationHistory(
        { store: call.deps.store, tenantId: call.access.tenantId, aggregate: pipelineStageAggregate, aggregateId: STAGE_SET_AGGREGATE_ID },
        (e, state) => ({ stage_set: stageSetDto(state), changes: stageChangesOf(e) }),
      ),
  }),
  endpoint({
    method: 'patch',
    path: `${BASE}/{code}`,
    summary: "One stage's name or default probability (admin)",
    access: ['stages', 'write'],
    body: updateStageBody,
    success: 200,
    response: stageSetResult,
    ifMatch: true,
    handle: (call) => reply(call, (caller) => updateStage(call.deps, caller, { stage: call.params.code!, ...call.body })),
  }),
];

function reply(call: Call<unknown, unknown, ApiDeps>, run: (caller: Caller) => Promise<StageSetResult>) {
  return commandReply(call, {
    aggregate: pipelineStageAggregate,
    aggregateId: STAGE_SET_AGGREGATE_ID,
    status: 200,
    run,
    render: (result) => stageSetDto(result.state),
  });
}
