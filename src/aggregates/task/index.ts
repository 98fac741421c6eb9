import type { Aggregate } from '../../commands/handler.js';
import type { TaskCommand } from './commands.js';
import { type TaskState, taskDecider } from './decider.js';
import type { TaskEvent } from './events.js';

/**
 * One stream per task: `task-<tenant>:<id>`. The assignee is the owner the policy asks about:
 * the current one, and every one a command gives the task (creation, reassignment); and the
 * record the task is about (relatedOf), which admits whoever reaches that record.
 */
export const taskAggregate: Aggregate<TaskCommand, TaskEvent, TaskState> = {
  category: 'task',
  decider: taskDecider,
  guard: {
    resource: 'task',
    relatedOf: (s) => (s.exists ? s.relatedTo : undefined),
    ownerOf: (s) => (s.exists ? s.assigneeId : undefined),
    newOwnersOf: (c, actorId) => (c.type === 'CreateTask' ? [c.assigneeId ?? actorId] : c.type === 'ReassignTask' ? [c.assigneeId] : []),
  },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
