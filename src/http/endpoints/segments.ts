import { SEGMENTATION_AGGREGATE_ID, segmentationAggregate } from '../../aggregates/segmentation/index.js';
import { configureSegments } from '../../commands/segments.js';
import { loadAggregate } from '../../commands/load.js';
import { commandReply, etagOf } from '../commandReply.js';
import { configurationHistory } from '../configuration.js';
import { lastChange } from '../history.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint } from '../endpoint.js';
import { segmentSetDto } from '../render/segments.js';
import { configureSegmentsBody } from '../requests/segments.js';
import { segmentHistoryBody, segmentSetResult, segmentSetViewBody } from '../responses/segments.js';

const BASE = '/api/v1/segments';

const target = (call: Call<unknown, unknown, ApiDeps>) => ({
  store: call.deps.store,
  tenantId: call.access.tenantId,
  aggregate: segmentationAggregate,
  aggregateId: SEGMENTATION_AGGREGATE_ID,
});

/**
 * A tenant's customer segment definitions (seed 003). Read from the stream itself (one event
 * per change), so strongly consistent; membership is GET /customers?segment=<code>.
 */
export const segmentEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'get',
    path: BASE,
    summary: "The tenant's segment definitions (seed 003's four defaults until configured; ETag -1)",
    access: ['segments', 'read'],
    success: 200,
    response: segmentSetViewBody,
    handle: async (call) => {
      const { state, revision, events } = await loadAggregate(call.deps.store, segmentationAggregate, call.access.tenantId, SEGMENTATION_AGGREGATE_ID);
      return { headers: { ETag: etagOf(revision) }, body: { ...segmentSetDto(state), ...lastChange(events, revision) } };
    },
  }),
  endpoint({
    method: 'put',
    path: BASE,
    summary: 'Replace the segment definitions (admin); members are re-evaluated',
    access: ['segments', 'write'],
    body: configureSegmentsBody,
    success: 200,
    response: segmentSetResult,
    ifMatch: true,
    handle: (call) =>
      commandReply(call, {
        aggregate: segmentationAggregate,
        aggregateId: SEGMENTATION_AGGREGATE_ID,
        status: 200,
        run: (caller) => configureSegments(call.deps, caller, call.body),
        render: (result) => segmentSetDto(result.state),
      }),
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/history`,
    summary: 'Audit trail of the segment definitions: every change with its actor and the set in force from it on',
    access: ['segments', 'read'],
    success: 200,
    response: segmentHistoryBody,
    // The set is the change: the whole set in force from this event on.
    handle: (call) => configurationHistory(target(call), (_e, state) => ({ changes: undefined, segment_set: segmentSetDto(state) })),
  }),
];
