import { expect } from 'chai';
import { type ActivityEvent, activityDecider } from '../../src/aggregates/activity/index.js';
import { givenWhenThen } from '../support/decider.js';

/** Activities (seed 003): given events, when a command, then events or an error. */
const ctx = { now: new Date('2026-03-02T10:00:00.000Z'), actorId: 'rep-1' };
const given = givenWhenThen(activityDecider, ctx);

const created: ActivityEvent = {
  type: 'ActivityCreatedEvent',
  data: {
    activityId: 'A-1',
    type: 'call',
    subject: 'Discovery call',
    description: null,
    relatedTo: { type: 'lead', id: 'L-1' },
    ownerId: 'rep-1',
    dueDate: '2026-03-05T09:00:00.000Z',
    priority: 'normal',
    status: 'planned',
    completedDate: null,
    createdBy: 'rep-1',
  },
};
const completed: ActivityEvent = { type: 'ActivityCompletedEvent', data: { activityId: 'A-1', completedBy: 'rep-1', completedDate: ctx.now.toISOString(), outcome: null } };
const cancelled: ActivityEvent = { type: 'ActivityCancelledEvent', data: { activityId: 'A-1', cancelledBy: 'rep-1', reason: null } };

describe('Activity decider', () => {
  it('creates seed 003 ActivityCreatedEvent with the actor as owner by default and a canonical due date', () => {
    given([])
      .when({ type: 'CreateActivity', activityId: 'A-1', activityType: 'call', subject: 'Discovery call', relatedTo: { type: 'lead', id: 'L-1' }, dueDate: '2026-03-05T10:00:00+01:00' })
      .then([created]);
  });

  it('logs something already done as completed, never in the future', () => {
    const [event] = given([])
      .when({ type: 'CreateActivity', activityId: 'A-2', activityType: 'note', subject: 'Met at fair', relatedTo: { type: 'customer', id: 'C-1' }, completedDate: '2026-03-01' })
      .events();
    expect(event!.data).to.include({ status: 'completed', completedDate: '2026-03-01T00:00:00.000Z' });
    given([])
      .when({ type: 'CreateActivity', activityId: 'A-2', activityType: 'note', subject: 'x', relatedTo: { type: 'customer', id: 'C-1' }, completedDate: '2026-04-01' })
      .thenFails('VALIDATION_ERROR', /future/);
  });

  it('refuses a due date that is no instant, a related record of an unknown type, and a second creation', () => {
    const create = { type: 'CreateActivity', activityId: 'A-1', activityType: 'call', subject: 's', relatedTo: { type: 'lead', id: 'L-1' } } as const;
    given([]).when({ ...create, dueDate: '2026-02-30' }).thenFails('VALIDATION_ERROR', /due_date/);
    given([]).when({ ...create, relatedTo: { type: 'invoice' as 'lead', id: 'I-1' } }).thenFails('VALIDATION_ERROR', /related_to/);
    given([created]).when(create).thenFails('CONFLICT', /already exists/);
  });

  it('records only the fields that changed, with the actor; an update that changes nothing records nothing', () => {
    given([created])
      .when({ type: 'UpdateActivity', subject: 'Discovery call', priority: 'high', relatedTo: { type: 'lead', id: 'L-1' } })
      .then([{ type: 'ActivityUpdatedEvent', data: { activityId: 'A-1', changedFields: ['priority'], updatedBy: 'rep-1', priority: 'high' } }]);
    given([created]).when({ type: 'UpdateActivity', subject: 'Discovery call', dueDate: '2026-03-05T09:00:00Z' }).then([]);
    given([created, cancelled]).when({ type: 'UpdateActivity', subject: 'Other' }).thenFails('CONFLICT', /cancelled/);
    given([]).when({ type: 'UpdateActivity', subject: 'x' }).thenFails('NOT_FOUND');
  });

  it('completes a planned activity once; a cancelled one cannot be completed; reopen only a completed one', () => {
    given([created]).when({ type: 'CompleteActivity' }).then([completed]);
    given([created, completed]).when({ type: 'CompleteActivity' }).then([]);
    given([created, cancelled]).when({ type: 'CompleteActivity' }).thenFails('CONFLICT', /cancelled/);
    given([created, completed]).when({ type: 'ReopenActivity' }).then([{ type: 'ActivityReopenedEvent', data: { activityId: 'A-1', reopenedBy: 'rep-1' } }]);
    given([created, cancelled]).when({ type: 'ReopenActivity' }).thenFails('CONFLICT', /only a completed/);
    given([created, completed]).when({ type: 'CancelActivity' }).thenFails('CONFLICT', /reopen it first/);
  });

  it('reassigns a planned activity, recording from whom and by whom', () => {
    given([created])
      .when({ type: 'ReassignActivity', ownerId: 'rep-2', reason: 'holiday' })
      .then([{ type: 'ActivityReassignedEvent', data: { activityId: 'A-1', fromOwnerId: 'rep-1', ownerId: 'rep-2', reassignedBy: 'rep-1', reason: 'holiday' } }]);
    given([created]).when({ type: 'ReassignActivity', ownerId: 'rep-1' }).then([]);
    expect(given([created, { type: 'ActivityReassignedEvent', data: { activityId: 'A-1', fromOwnerId: 'rep-1', ownerId: 'rep-2', reassignedBy: 'm', reason: null } }]).state).to.include({ ownerId: 'rep-2' });
  });
});
