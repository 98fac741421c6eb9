import { activityAggregate } from '../../aggregates/activity/index.js';
import { taskAggregate } from '../../aggregates/task/index.js';
import {
  type ActivityResult,
  type TaskResult,
  cancelActivity,
  cancelTask,
  completeActivity,
  completeTask,
  createActivity,
  createTask,
  reassignActivity,
  reassignTask,
  reopenActivity,
  reopenTask,
  updateActivity,
  updateTask,
} from '../../commands/activities.js';
import type { Caller } from '../../commands/context.js';
import { activitiesProjection, tasksProjection } from '../../projections/activities.js';
import { activitiesFor, getActivity, getTask, requireActivityVisible, requireTaskVisible, tasksFor } from '../../projections/activityQueries.js';
import { commandReply, etagOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { sendHistory } from '../history.js';
import { readRow } from '../readRow.js';
import { activityDto, renderActivity, renderTask, taskDto } from '../render/activities.js';
import {
  completeActivityBody,
  completeTaskBody,
  createActivityBody,
  createTaskBody,
  listActivitiesQuery,
  listTasksQuery,
  reasonBody,
  reassignActivityBody,
  reassignTaskBody,
  updateActivityBody,
  updateTaskBody,
} from '../requests/activities.js';
import { activityBody, activityPage, activityResult, taskBody, taskPage, taskResult } from '../responses/activities.js';
import { historyBody } from '../responses/common.js';

const ACTIVITIES = '/api/v1/activities';
const TASKS = '/api/v1/tasks';

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

const onTask = (call: AnyCall, run: (caller: Caller) => Promise<TaskResult>, status: 200 | 201 = 200, id = call.params.id!) =>
  commandReply(call, { aggregate: taskAggregate, aggregateId: id, status, run, render: renderTask, ...(status === 201 ? { location: `${TASKS}/${encodeURIComponent(id)}` } : {}) });

/**
 * Activities (seed 003): calls, emails, meetings and notes about one lead, deal or customer;
 * planned or logged as done, completed, reopened, cancelled, reassigned.
 */
const activityEndpoints: readonly Endpoint<ApiDeps>[] = [
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
      await readYourWrites(call, activitiesProjection.name);
      const now = new Date();
      const filters = {
        ownerId: q.owner_id,
        relatedType: q.related_type,
        relatedId: q.related_id,
        status: q.status,
        type: q.type,
        priority: q.priority,
        dueBefore: q.due_before,
        dueAfter: q.due_after,
        overdue: q.overdue,
        now,
      };
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
      const row = await readRow(call, { aggregate: activityAggregate, projection: activitiesProjection, label: 'Activity', moment: undefined, get: getActivity });
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

/** Tasks (seed 003): work due by a date, assigned to someone, optionally about one record. */
const taskEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'post',
    path: TASKS,
    summary: 'Create a task (due_date not in the past; assigned_to defaults to the caller)',
    access: ['task', 'write'],
    body: createTaskBody,
    success: 201,
    response: taskResult,
    handle: (call) => onTask(call, (caller) => createTask(call.deps, caller, call.body), 201, call.body.taskId),
  }),
  endpoint({
    method: 'get',
    path: TASKS,
    summary: 'List the tasks the caller may see, by due date: assignee, related record, status, priority, due window, overdue',
    access: ['task', 'read'],
    query: listTasksQuery,
    success: 200,
    response: taskPage,
    handle: async (call) => {
      const q = call.query;
      await readYourWrites(call, tasksProjection.name);
      const now = new Date();
      const filters = {
        ownerId: q.assigned_to,
        relatedType: q.related_type,
        relatedId: q.related_id,
        status: q.status,
        type: q.type,
        priority: q.priority,
        dueBefore: q.due_before,
        dueAfter: q.due_after,
        overdue: q.overdue,
        now,
      };
      const { rows, total } = await tasksFor(call.deps.db, call.access, filters, q);
      return { body: paged(rows.map((r) => taskDto(r, now)), total, q) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${TASKS}/{id}`,
    summary: 'One task (read model)',
    access: ['task', 'read'],
    success: 200,
    response: taskBody,
    handle: async (call) => {
      const row = await readRow(call, { aggregate: taskAggregate, projection: tasksProjection, label: 'Task', moment: undefined, get: getTask });
      await requireTaskVisible(call.deps.db, call.access, row);
      return { headers: { ETag: etagOf(row.revision) }, body: taskDto(row) };
    },
  }),
  endpoint({
    method: 'patch',
    path: `${TASKS}/{id}`,
    summary: 'Change title, description, related record, due date, priority or type of an open task',
    access: ['task', 'write'],
    body: updateTaskBody,
    success: 200,
    response: taskResult,
    ifMatch: true,
    handle: (call) => onTask(call, (caller) => updateTask(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${TASKS}/{id}/complete`,
    summary: 'Complete an open task (TaskCompletedEvent); a cancelled one is 409',
    access: ['task', 'write'],
    body: completeTaskBody,
    success: 200,
    response: taskResult,
    ifMatch: true,
    handle: (call) => onTask(call, (caller) => completeTask(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${TASKS}/{id}/reopen`,
    summary: 'Reopen a completed task (a cancelled one is 409)',
    access: ['task', 'write'],
    body: reasonBody,
    success: 200,
    response: taskResult,
    ifMatch: true,
    handle: (call) => onTask(call, (caller) => reopenTask(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${TASKS}/{id}/cancel`,
    summary: 'Cancel an open task',
    access: ['task', 'write'],
    body: reasonBody,
    success: 200,
    response: taskResult,
    ifMatch: true,
    handle: (call) => onTask(call, (caller) => cancelTask(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'post',
    path: `${TASKS}/{id}/reassign`,
    summary: 'Give an open task to another assignee within the caller’s reach',
    access: ['task', 'write'],
    body: reassignTaskBody,
    success: 200,
    response: taskResult,
    ifMatch: true,
    handle: (call) => onTask(call, (caller) => reassignTask(call.deps, caller, call.params.id!, call.body)),
  }),
  endpoint({
    method: 'get',
    path: `${TASKS}/{id}/history`,
    summary: 'Audit trail of the task, from its stream',
    access: ['task', 'read'],
    success: 200,
    response: historyBody,
    handle: (call) => sendHistory(call.res, call.deps.store, { aggregate: taskAggregate, aggregateId: call.params.id!, label: 'Task' }),
  }),
];

export const activityAndTaskEndpoints: readonly Endpoint<ApiDeps>[] = [...activityEndpoints, ...taskEndpoints];
