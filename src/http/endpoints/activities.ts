import { activityAggregate } from '../../aggregates/activity/index.js';
import {
  type ActivityResult,
  cancelActivity,
  completeActivity,
  createActivity,
  reassignActivity,
  reopenActivity,
  updateActivity,
} from '../../commands/activities.js';
import type { Caller } from '../../commands/context.js';
import { activitiesProjection } from '../../projections/activities.js';
import { WORK_SCOPE_READ_MODELS, activitiesFor, getActivity, requireActivityVisible } from '../../projections/activityQueries.js';
import { commandReply, etagOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { sendHistory } from '../history.js';
import { readRow } from '../readRow.js';
import { activityDto, renderActivity } from '../render/activities.js';
import { completeActivityBody, createActivityBody, listActivitiesQuery, reasonBody, reassignActivityBody, updateActivityBody, workFilters } from '../requests/activities.js';
import { activityBody, activityPage, activityResult } from '../responses/activities.js';
import { historyBody } from '../responses/common.js';

const ACTIVITIES = '/api/v1/activities';

type AnyCall = Call<unknown, unknown, ApiDeps>;

const onActivity = (call: AnyCall, run: (caller: Caller) => Promise<ActivityResult>, status: 200 | 201 = 200, id = call.params.id!) =>
  commandReply(call, {
    aggregate: activityAggregate,
    aggregateId: id,
    status,
    run,
    render: renderActivity,
    ...(status === 201 ? { location: `${ACTIVITIES}/${encodeURIComponent(id)}` } : {}),
  });

/**
 * Activities (seed 003): calls, emails, meetings and notes about one lead, deal or customer;
 * planned or logged as done, completed, reopened, cancelled, reassigned.
 */
export const activityEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'post',
    path: ACTIVITIES,
    summary: 'Create an activity about a lead, opportunity or customer (completed_date: log one already done)',
    access: ['activity', 'write'],
    body: createActivityBody,
    success: 201,
    response: activityResult,
    handle: (call) => onActivity(call, (caller) => createActivity(call.deps, caller, call.body), 201, call.body.activityId),
  }),
  endpoint({
    method: 'get',
    path: ACTIVITIES,
    summary: 'List the activities the caller may see: owner, related record, status, type, due window, overdue',
    access: ['activity', 'read'],
    query: listActivitiesQuery,
    success: 200,
    response: activityPage,
    handle: async (call) => {
      const q = call.query;
      await readYourWrites(call, activitiesProjection.name, ...WORK_SCOPE_READ_MODELS);
      const now = new Date();
      const filters = workFilters(q, q.owner_id, now);
      const { rows, total } = await activitiesFor(call.deps.db, call.access, filters, q);
      return { body: paged(rows.map((r) => activityDto(r, now)), total, q) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${ACTIVITIES}/{id}`,
    summary: 'One activity (read model)',
    access: ['activity', 'read'],
    success: 200,
    response: activityBody,
    handle: async (call) => {
      const row = await readRow(call, { aggregate: activityAggregate, projection: activitiesProjection, label: 'Activity', moment: undefined, get: getActivity, alsoReads: WORK_SCOPE_READ_MODELS });
      await requireActivityVisible(call.deps.db, call.access, row);
      return { headers: { ETag: etagOf(row.revision) }, body: activityDto(row) };
    },
  }),
  endpoint({
    method: 'patch',
    path: `${ACTIVITIES}/{id}`,
    summary: 'Change type, subject, description, related record, due date or priority; a change to nothing records nothing',
    access: ['activity', 'write'],
    body: updateActivityBody,
    success: 200,
    response: activityResult,
    ifMatch: true,
    handle: (call) => onActivity(call, (caller) => updateActivity(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${ACTIVITIES}/{id}/complete`,
    summary: 'Complete a planned activity (completed_date: when, not in the future; outcome)',
    access: ['activity', 'write'],
    body: completeActivityBody,
    success: 200,
    response: activityResult,
    ifMatch: true,
    handle: (call) => onActivity(call, (caller) => completeActivity(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${ACTIVITIES}/{id}/reopen`,
    summary: 'Reopen a completed activity (a cancelled one is 409)',
    access: ['activity', 'write'],
    success: 200,
    response: activityResult,
    ifMatch: true,
    handle: (call) => onActivity(call, (caller) => reopenActivity(call.deps, caller, call.params.id!)),
  }),
  endpoint({
    method: 'post',
    path: `${ACTIVITIES}/{id}/cancel`,
    summary: 'Cancel a planned activity',
    access: ['activity', 'write'],
    body: reasonBody,
    success: 200,
    response: activityResult,
    ifMatch: true,
    handle: (call) => onActivity(call, (caller) => cancelActivity(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${ACTIVITIES}/{id}/reassign`,
    summary: 'Give a planned activity to another owner within the caller’s reach',
    access: ['activity', 'write'],
    body: reassignActivityBody,
    success: 200,
    response: activityResult,
    ifMatch: true,
    handle: (call) => onActivity(call, (caller) => reassignActivity(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'get',
    path: `${ACTIVITIES}/{id}/history`,
    summary: 'Audit trail of the activity, from its stream',
    access: ['activity', 'read'],
    success: 200,
    response: historyBody,
    handle: (call) => sendHistory(call.res, call.deps.store, { aggregate: activityAggregate, aggregateId: call.params.id!, label: 'Activity' }),
  }),
];

