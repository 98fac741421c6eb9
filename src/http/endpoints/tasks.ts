import { taskAggregate } from '../../aggregates/task/index.js';
import {
  type TaskResult,
  cancelTask,
  completeTask,
  createTask,
  reassignTask,
  reopenTask,
  updateTask,
} from '../../commands/activities.js';
import type { Caller } from '../../commands/context.js';
import { tasksProjection } from '../../projections/activities.js';
import { WORK_SCOPE_READ_MODELS, getTask, requireTaskVisible, tasksFor } from '../../projections/activityQueries.js';
import { commandReply, etagOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { sendHistory } from '../history.js';
import { readRow } from '../readRow.js';
import { renderTask, taskDto } from '../render/activities.js';
import { completeTaskBody, createTaskBody, listTasksQuery, reasonBody, reassignTaskBody, updateTaskBody, workFilters } from '../requests/activities.js';
import { taskBody, taskPage, taskResult } from '../responses/activities.js';
import { historyBody } from '../responses/common.js';

const TASKS = '/api/v1/tasks';

type AnyCall = Call<unknown, unknown, ApiDeps>;

const onTask = (call: AnyCall, run: (caller: Caller) => Promise<TaskResult>, status: 200 | 201 = 200, id = call.params.id!) =>
  commandReply(call, { aggregate: taskAggregate, aggregateId: id, status, run, render: renderTask, ...(status === 201 ? { location: `${TASKS}/${encodeURIComponent(id)}` } : {}) });

/** Tasks (seed 003): work due by a date, assigned to someone, optionally about one record. */
export const taskEndpoints: readonly Endpoint<ApiDeps>[] = [
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
      await readYourWrites(call, tasksProjection.name, ...WORK_SCOPE_READ_MODELS);
      const now = new Date();
      const filters = workFilters(q, q.assigned_to, now);
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
      const row = await readRow(call, { aggregate: taskAggregate, projection: tasksProjection, label: 'Task', moment: undefined, get: getTask, alsoReads: WORK_SCOPE_READ_MODELS });
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
