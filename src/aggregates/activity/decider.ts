import { conflict, notFound, validation } from '../../shared/errors.js';
import type { Decider, DecisionContext } from '../decider.js';
import type { ActivityCommand } from './commands.js';
import type { ActivityEvent, ActivityStatus, ActivityType, ActivityUpdated } from './events.js';
import { type Priority, type RelatedEntity, requireInstant, requireRelated } from './related.js';

export type ActivityState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly activityId: string;
      readonly type: ActivityType;
      readonly subject: string;
      readonly description: string | null;
      readonly relatedTo: RelatedEntity;
      readonly ownerId: string;
      readonly dueDate: string | null;
      readonly priority: Priority;
      readonly status: ActivityStatus;
      readonly completedDate: string | null;
    };

type Existing = Extract<ActivityState, { exists: true }>;

const requireExisting = (state: ActivityState): Existing => {
  if (!state.exists) throw notFound('Activity not found');
  return state;
};

function requirePlanned(state: Existing, doing: string): void {
  if (state.status !== 'planned') {
    throw conflict(`Activity ${state.activityId} is ${state.status}; it cannot be ${doing}${state.status === 'completed' ? ' (reopen it first)' : ''}`, {
      id: state.activityId,
      status: state.status,
    });
  }
}

/** A completion is a fact: it cannot lie in the future of the decision. */
function completionDate(text: string | undefined, ctx: DecisionContext): string {
  if (text === undefined) return ctx.now.toISOString();
  const at = requireInstant('completed_date', text);
  if (Date.parse(at) > ctx.now.getTime()) throw validation('completed_date must not be in the future', { field: 'completed_date' });
  return at;
}

const sameRelated = (a: RelatedEntity, b: RelatedEntity) => a.type === b.type && a.id === b.id;

function decide(command: ActivityCommand, state: ActivityState, ctx: DecisionContext): ActivityEvent[] {
  switch (command.type) {
    case 'CreateActivity': {
      if (state.exists) throw conflict(`Activity ${command.activityId} already exists`, { id: command.activityId });
      const completedDate = command.completedDate === undefined ? null : completionDate(command.completedDate, ctx);
      return [
        {
          type: 'ActivityCreatedEvent',
          data: {
            activityId: command.activityId,
            type: command.activityType,
            subject: command.subject,
            description: command.description ?? null,
            relatedTo: requireRelated(command.relatedTo),
            ownerId: command.ownerId ?? ctx.actorId,
            dueDate: command.dueDate === undefined ? null : requireInstant('due_date', command.dueDate),
            priority: command.priority ?? 'normal',
            status: completedDate ? 'completed' : 'planned',
            completedDate,
            createdBy: ctx.actorId,
          },
        },
      ];
    }
    case 'UpdateActivity': {
      const current = requireExisting(state);
      const data: ActivityUpdated['data'] = { activityId: current.activityId, changedFields: [], updatedBy: ctx.actorId };
      const wanted = {
        type: command.activityType,
        subject: command.subject,
        description: command.description,
        dueDate: command.dueDate === undefined || command.dueDate === null ? command.dueDate : requireInstant('due_date', command.dueDate),
        priority: command.priority,
      };
      for (const field of ['type', 'subject', 'description', 'dueDate', 'priority'] as const) {
        const value = wanted[field];
        if (value !== undefined && value !== current[field]) {
          (data as Record<string, unknown>)[field] = value;
          data.changedFields.push(field);
        }
      }
      if (command.relatedTo && !sameRelated(requireRelated(command.relatedTo), current.relatedTo)) {
        data.relatedTo = requireRelated(command.relatedTo);
        data.changedFields.push('relatedTo');
      }
      if (!data.changedFields.length) return [];
      // A cancelled activity is closed: its record stays as it was.
      if (current.status === 'cancelled') requirePlanned(current, 'changed');
      return [{ type: 'ActivityUpdatedEvent', data }];
    }
    case 'CompleteActivity': {
      const current = requireExisting(state);
      if (current.status === 'completed') return [];
      requirePlanned(current, 'completed');
      return [
        {
          type: 'ActivityCompletedEvent',
          data: { activityId: current.activityId, completedBy: ctx.actorId, completedDate: completionDate(command.completedDate, ctx), outcome: command.outcome?.trim() || null },
        },
      ];
    }
    case 'ReopenActivity': {
      const current = requireExisting(state);
      if (current.status === 'planned') return [];
      if (current.status !== 'completed') throw conflict(`Activity ${current.activityId} is cancelled; only a completed activity is reopened`, { id: current.activityId, status: current.status });
      return [{ type: 'ActivityReopenedEvent', data: { activityId: current.activityId, reopenedBy: ctx.actorId } }];
    }
    case 'CancelActivity': {
      const current = requireExisting(state);
      if (current.status === 'cancelled') return [];
      requirePlanned(current, 'cancelled');
      return [{ type: 'ActivityCancelledEvent', data: { activityId: current.activityId, cancelledBy: ctx.actorId, reason: command.reason?.trim() || null } }];
    }
    case 'ReassignActivity': {
      const current = requireExisting(state);
      if (command.ownerId === current.ownerId) return [];
      requirePlanned(current, 'reassigned');
      return [
        {
          type: 'ActivityReassignedEvent',
          data: { activityId: current.activityId, fromOwnerId: current.ownerId, ownerId: command.ownerId, reassignedBy: ctx.actorId, reason: command.reason?.trim() || null },
        },
      ];
    }
  }
}

function evolve(state: ActivityState, event: ActivityEvent): ActivityState {
  if (event.type === 'ActivityCreatedEvent') {
    const { createdBy: _by, ...d } = event.data;
    return { exists: true, ...d };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'ActivityUpdatedEvent': {
      const { activityId: _id, changedFields: _f, updatedBy: _by, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'ActivityCompletedEvent':
      return { ...state, status: 'completed', completedDate: event.data.completedDate };
    case 'ActivityReopenedEvent':
      return { ...state, status: 'planned', completedDate: null };
    case 'ActivityCancelledEvent':
      return { ...state, status: 'cancelled' };
    case 'ActivityReassignedEvent':
      return { ...state, ownerId: event.data.ownerId };
  }
}

export const activityDecider: Decider<ActivityCommand, ActivityEvent, ActivityState> = { initialState: { exists: false }, evolve, decide };
