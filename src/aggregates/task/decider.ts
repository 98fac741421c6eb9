import { conflict, notFound, validation } from '../../shared/errors.js';
import { type Priority, type RelatedEntity, requireInstant, requireRelated } from '../activity/related.js';
import type { Decider, DecisionContext } from '../decider.js';
import type { TaskCommand } from './commands.js';
import type { TaskEvent, TaskStatus, TaskType, TaskUpdated } from './events.js';

export type TaskState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly taskId: string;
      readonly title: string;
      readonly description: string | null;
      readonly assigneeId: string;
      readonly relatedTo: RelatedEntity | null;
      readonly dueDate: string;
      readonly priority: Priority;
      readonly taskType: TaskType;
      readonly status: TaskStatus;
      readonly completedAt: string | null;
    };

type Existing = Extract<TaskState, { exists: true }>;

const requireExisting = (state: TaskState): Existing => {
  if (!state.exists) throw notFound('Task not found');
  return state;
};

function requireOpen(state: Existing, doing: string): void {
  if (state.status !== 'open') {
    throw conflict(`Task ${state.taskId} is ${state.status}; it cannot be ${doing}${state.status === 'completed' ? ' (reopen it first)' : ''}`, {
      id: state.taskId,
      status: state.status,
    });
  }
}

/** A due date as kept: an instant, or a whole day (YYYY-MM-DD) as the last millisecond of that day (UTC). */
function canonicalDue(text: string): string {
  const at = requireInstant('due_date', text);
  return text.length === 10 ? new Date(Date.parse(at) + 86_399_999).toISOString() : at;
}

/** A due date, when set or moved, must not be past already (work is due ahead). */
function dueDate(text: string, ctx: DecisionContext): string {
  const at = canonicalDue(text);
  if (Date.parse(at) <= ctx.now.getTime()) throw validation('due_date must not be in the past', { field: 'due_date', due_date: at });
  return at;
}

const sameRelated = (a: RelatedEntity | null, b: RelatedEntity | null) => a?.type === b?.type && a?.id === b?.id;

function decide(command: TaskCommand, state: TaskState, ctx: DecisionContext): TaskEvent[] {
  switch (command.type) {
    case 'CreateTask': {
      if (state.exists) throw conflict(`Task ${command.taskId} already exists`, { id: command.taskId });
      return [
        {
          type: 'TaskCreatedEvent',
          data: {
            taskId: command.taskId,
            title: command.title,
            description: command.description ?? null,
            assigneeId: command.assigneeId ?? ctx.actorId,
            relatedTo: command.relatedTo ? requireRelated(command.relatedTo) : null,
            dueDate: dueDate(command.dueDate, ctx),
            priority: command.priority ?? 'normal',
            taskType: command.taskType ?? 'follow_up',
            createdBy: ctx.actorId,
          },
        },
      ];
    }
    case 'UpdateTask': {
      const current = requireExisting(state);
      const data: TaskUpdated['data'] = { taskId: current.taskId, changedFields: [], updatedBy: ctx.actorId };
      for (const field of ['title', 'description', 'priority', 'taskType'] as const) {
        const value = command[field];
        if (value !== undefined && value !== current[field]) {
          (data as Record<string, unknown>)[field] = value;
          data.changedFields.push(field);
        }
      }
      // An unchanged due date, even a past one, is no change; a moved one must lie ahead.
      if (command.dueDate !== undefined && canonicalDue(command.dueDate) !== current.dueDate) {
        data.dueDate = dueDate(command.dueDate, ctx);
        data.changedFields.push('dueDate');
      }
      if (command.relatedTo !== undefined) {
        const related = command.relatedTo && requireRelated(command.relatedTo);
        if (!sameRelated(related, current.relatedTo)) {
          data.relatedTo = related;
          data.changedFields.push('relatedTo');
        }
      }
      if (!data.changedFields.length) return [];
      requireOpen(current, 'changed');
      return [{ type: 'TaskUpdatedEvent', data }];
    }
    case 'CompleteTask': {
      const current = requireExisting(state);
      if (current.status === 'completed') return [];
      requireOpen(current, 'completed');
      return [{ type: 'TaskCompletedEvent', data: { taskId: current.taskId, completedBy: ctx.actorId, completedAt: ctx.now.toISOString(), note: command.note?.trim() || null } }];
    }
    case 'ReopenTask': {
      const current = requireExisting(state);
      if (current.status === 'open') return [];
      if (current.status !== 'completed') throw conflict(`Task ${current.taskId} is cancelled; only a completed task is reopened`, { id: current.taskId, status: current.status });
      return [{ type: 'TaskReopenedEvent', data: { taskId: current.taskId, reopenedBy: ctx.actorId, reason: command.reason?.trim() || null } }];
    }
    case 'CancelTask': {
      const current = requireExisting(state);
      if (current.status === 'cancelled') return [];
      requireOpen(current, 'cancelled');
      return [{ type: 'TaskCancelledEvent', data: { taskId: current.taskId, cancelledBy: ctx.actorId, reason: command.reason?.trim() || null } }];
    }
    case 'ReassignTask': {
      const current = requireExisting(state);
      if (command.assigneeId === current.assigneeId) return [];
      requireOpen(current, 'reassigned');
      return [
        {
          type: 'TaskReassignedEvent',
          data: { taskId: current.taskId, fromAssigneeId: current.assigneeId, assigneeId: command.assigneeId, reassignedBy: ctx.actorId, reason: command.reason?.trim() || null },
        },
      ];
    }
  }
}

function evolve(state: TaskState, event: TaskEvent): TaskState {
  if (event.type === 'TaskCreatedEvent') {
    const { createdBy: _by, ...d } = event.data;
    return { exists: true, ...d, status: 'open', completedAt: null };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'TaskUpdatedEvent': {
      const { taskId: _id, changedFields: _f, updatedBy: _by, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'TaskCompletedEvent':
      return { ...state, status: 'completed', completedAt: event.data.completedAt };
    case 'TaskReopenedEvent':
      return { ...state, status: 'open', completedAt: null };
    case 'TaskCancelledEvent':
      return { ...state, status: 'cancelled' };
    case 'TaskReassignedEvent':
      return { ...state, assigneeId: event.data.assigneeId };
  }
}

export const taskDecider: Decider<TaskCommand, TaskEvent, TaskState> = { initialState: { exists: false }, evolve, decide };
