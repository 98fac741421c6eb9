import { type ActivityCommand, type ActivityState, activityAggregate } from '../aggregates/activity/index.js';
import { type TaskCommand, type TaskState, taskAggregate } from '../aggregates/task/index.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';

/**
 * Activities and tasks (seed 003): logged and planned by reps, completed, reopened, cancelled,
 * reassigned; each a command on its own stream through the one command handler.
 */
export type ActivityResult = CommandResult<ActivityState>;
export type TaskResult = CommandResult<TaskState>;

type Input<C, T extends string> = Omit<Extract<C, { type: T }>, 'type'>;

export const createActivity = (app: AppContext, caller: Caller, input: Input<ActivityCommand, 'CreateActivity'>): Promise<ActivityResult> =>
  app.execute(activityAggregate, on(caller, input.activityId), { type: 'CreateActivity', ...input });

export const updateActivity = (app: AppContext, caller: Caller, activityId: string, input: Input<ActivityCommand, 'UpdateActivity'>) =>
  app.execute(activityAggregate, on(caller, activityId), { type: 'UpdateActivity', ...input });

export const completeActivity = (app: AppContext, caller: Caller, activityId: string, input: Input<ActivityCommand, 'CompleteActivity'>) =>
  app.execute(activityAggregate, on(caller, activityId), { type: 'CompleteActivity', ...input });

export const reopenActivity = (app: AppContext, caller: Caller, activityId: string) =>
  app.execute(activityAggregate, on(caller, activityId), { type: 'ReopenActivity' });

export const cancelActivity = (app: AppContext, caller: Caller, activityId: string, input: Input<ActivityCommand, 'CancelActivity'>) =>
  app.execute(activityAggregate, on(caller, activityId), { type: 'CancelActivity', ...input });

export const reassignActivity = (app: AppContext, caller: Caller, activityId: string, input: Input<ActivityCommand, 'ReassignActivity'>) =>
  app.execute(activityAggregate, on(caller, activityId), { type: 'ReassignActivity', ...input });

export const createTask = (app: AppContext, caller: Caller, input: Input<TaskCommand, 'CreateTask'>): Promise<TaskResult> =>
  app.execute(taskAggregate, on(caller, input.taskId), { type: 'CreateTask', ...input });

export const updateTask = (app: AppContext, caller: Caller, taskId: string, input: Input<TaskCommand, 'UpdateTask'>) =>
  app.execute(taskAggregate, on(caller, taskId), { type: 'UpdateTask', ...input });

export const completeTask = (app: AppContext, caller: Caller, taskId: string, input: Input<TaskCommand, 'CompleteTask'>) =>
  app.execute(taskAggregate, on(caller, taskId), { type: 'CompleteTask', ...input });

export const reopenTask = (app: AppContext, caller: Caller, taskId: string, input: Input<TaskCommand, 'ReopenTask'>) =>
  app.execute(taskAggregate, on(caller, taskId), { type: 'ReopenTask', ...input });

export const cancelTask = (app: AppContext, caller: Caller, taskId: string, input: Input<TaskCommand, 'CancelTask'>) =>
  app.execute(taskAggregate, on(caller, taskId), { type: 'CancelTask', ...input });

export const reassignTask = (app: AppContext, caller: Caller, taskId: string, input: Input<TaskCommand, 'ReassignTask'>) =>
  app.execute(taskAggregate, on(caller, taskId), { type: 'ReassignTask', ...input });
