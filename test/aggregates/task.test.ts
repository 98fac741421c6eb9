import { expect } from 'chai';
import { type TaskEvent, taskDecider } from '../../src/aggregates/task/index.js';
import { givenWhenThen } from '../support/decider.js';

/** Tasks (seed 003): given events, when a command, then events or an error. */
const ctx = { now: new Date('2026-03-02T10:00:00.000Z'), actorId: 'rep-1' };
const given = givenWhenThen(taskDecider, ctx);

const created: TaskEvent = {
  type: 'TaskCreatedEvent',
  data: {
    taskId: 'T-1',
    title: 'Send proposal',
    description: null,
    assigneeId: 'rep-1',
    relatedTo: { type: 'opportunity', id: 'O-1' },
    dueDate: '2026-03-06T23:59:59.999Z',
    priority: 'normal',
    taskType: 'follow_up',
    createdBy: 'rep-1',
  },
};
const completed: TaskEvent = { type: 'TaskCompletedEvent', data: { taskId: 'T-1', completedBy: 'rep-1', completedAt: ctx.now.toISOString(), note: null } };
const cancelled: TaskEvent = { type: 'TaskCancelledEvent', data: { taskId: 'T-1', cancelledBy: 'rep-1', reason: 'deal lost' } };
const create = { type: 'CreateTask', taskId: 'T-1', title: 'Send proposal', relatedTo: { type: 'opportunity', id: 'O-1' }, dueDate: '2026-03-06' } as const;

describe('Task decider', () => {
  it('creates a task for the actor by default, open, normal priority', () => {
    given([]).when(create).then([created]);
    expect(given([created]).state).to.include({ status: 'open', completedAt: null, assigneeId: 'rep-1' });
  });

  it('validates the due date: an instant, not already past; a whole day is due at its end (today is still due)', () => {
    given([]).when({ ...create, dueDate: 'tomorrow' }).thenFails('VALIDATION_ERROR', /due_date/);
    given([]).when({ ...create, dueDate: '2026-03-01' }).thenFails('VALIDATION_ERROR', /past/);
    given([]).when({ ...create, dueDate: '2026-03-02T09:59:00Z' }).thenFails('VALIDATION_ERROR', /past/);
    expect(given([]).when({ ...create, dueDate: '2026-03-02' }).events()[0]!.data).to.include({ dueDate: '2026-03-02T23:59:59.999Z' });
    given([created]).when({ type: 'UpdateTask', dueDate: '2026-02-01' }).thenFails('VALIDATION_ERROR', /past/);
  });

  it('a no-op update records nothing; a real one names its fields and the actor', () => {
    given([created]).when({ type: 'UpdateTask', title: 'Send proposal', dueDate: '2026-03-06', relatedTo: { type: 'opportunity', id: 'O-1' } }).then([]);
    given([created]).when({ type: 'UpdateTask', dueDate: '2026-03-06T23:59:59.999+00:00' }).then([]);
    given([created])
      .when({ type: 'UpdateTask', priority: 'urgent', relatedTo: null })
      .then([{ type: 'TaskUpdatedEvent', data: { taskId: 'T-1', changedFields: ['priority', 'relatedTo'], updatedBy: 'rep-1', priority: 'urgent', relatedTo: null } }]);
    given([created, completed]).when({ type: 'UpdateTask', title: 'Other' }).thenFails('CONFLICT', /reopen it first/);
  });

  it('completes with seed 003 TaskCompletedEvent (completedBy, completedAt); never a cancelled task', () => {
    given([created]).when({ type: 'CompleteTask' }).then([completed]);
    given([created, completed]).when({ type: 'CompleteTask' }).then([]);
    given([created, cancelled]).when({ type: 'CompleteTask' }).thenFails('CONFLICT', /cancelled/);
  });

  it('reopens only a completed task; cancels only an open one', () => {
    given([created, completed]).when({ type: 'ReopenTask' }).then([{ type: 'TaskReopenedEvent', data: { taskId: 'T-1', reopenedBy: 'rep-1', reason: null } }]);
    expect(given([created, completed, { type: 'TaskReopenedEvent', data: { taskId: 'T-1', reopenedBy: 'rep-1', reason: null } }]).state).to.include({ status: 'open', completedAt: null });
    given([created, cancelled]).when({ type: 'ReopenTask' }).thenFails('CONFLICT', /only a completed/);
    given([created]).when({ type: 'ReopenTask' }).then([]);
    given([created]).when({ type: 'CancelTask', reason: ' deal lost ' }).then([cancelled]);
    given([created, cancelled]).when({ type: 'CancelTask' }).then([]);
    given([created, completed]).when({ type: 'CancelTask' }).thenFails('CONFLICT', /completed/);
  });

  it('reassigns an open task, recording the previous assignee and the actor', () => {
    given([created])
      .when({ type: 'ReassignTask', assigneeId: 'rep-2' })
      .then([{ type: 'TaskReassignedEvent', data: { taskId: 'T-1', fromAssigneeId: 'rep-1', assigneeId: 'rep-2', reassignedBy: 'rep-1', reason: null } }]);
    given([created]).when({ type: 'ReassignTask', assigneeId: 'rep-1' }).then([]);
    given([created, cancelled]).when({ type: 'ReassignTask', assigneeId: 'rep-2' }).thenFails('CONFLICT');
    given([]).when({ type: 'ReassignTask', assigneeId: 'rep-2' }).thenFails('NOT_FOUND');
  });
});
