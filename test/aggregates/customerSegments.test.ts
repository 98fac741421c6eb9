import { expect } from 'chai';
import { type CustomerProfileEvent, customerProfileDecider } from '../../src/aggregates/customerProfile/index.js';
import type { Amount } from '../../src/shared/money.js';
import { givenWhenThen } from '../support/decider.js';

/** The CustomerProfile decider's firmographics and segment membership: given events, when a command, then events. */
const system = givenWhenThen(customerProfileDecider, { now: new Date('2026-06-01T00:00:00Z'), actorId: 'system:workflow:segmentation' });
const user = givenWhenThen(customerProfileDecider, { now: new Date('2026-06-01T00:00:00Z'), actorId: 'user-200' });

const created: CustomerProfileEvent = {
  type: 'CustomerProfileCreatedEvent',
  data: { customerId: 'CUST-1', name: 'Acme', status: 'ACTIVE', primaryContactId: null, segment: 'UNSEGMENTED', personalData: null, industry: 'Technology', employeeCount: 500 },
};
const assigned = (segments: string[]): CustomerProfileEvent => ({
  type: 'CustomerProfileUpdatedEvent',
  data: { customerId: 'CUST-1', changedFields: ['segments'], updatedBy: 'system:workflow:segmentation', segments },
});

describe('CustomerProfile decider: firmographics and segments', () => {
  it('creates with firmographics when given, and only those', () => {
    user([])
      .when({ type: 'CreateCustomerProfile', customerId: 'CUST-1', name: 'Acme', industry: ' Technology ', employeeCount: 500 })
      .then([created]);
    const state = user([created]).state;
    expect(state).to.include({ industry: 'Technology', employeeCount: 500, annualRevenue: null });
  });

  it('updates firmographics: only real changes, null clears', () => {
    user([created])
      .when({ type: 'UpdateCustomerProfile', industry: 'Technology', employeeCount: 600, annualRevenue: '1000.00' as Amount })
      .then([{ type: 'CustomerProfileUpdatedEvent', data: { customerId: 'CUST-1', changedFields: ['employeeCount', 'annualRevenue'], updatedBy: 'user-200', employeeCount: 600, annualRevenue: '1000.00' as Amount } }]);
    user([created]).when({ type: 'UpdateCustomerProfile', industry: null }).then([
      { type: 'CustomerProfileUpdatedEvent', data: { customerId: 'CUST-1', changedFields: ['industry'], updatedBy: 'user-200', industry: null } },
    ]);
    user([created]).when({ type: 'UpdateCustomerProfile', employeeCount: -1 }).thenFails('VALIDATION_ERROR', /employee_count/);
  });

  it('records a membership change with its actor; the same members in any order record nothing', () => {
    system([created]).when({ type: 'AssignSegments', segments: ['enterprise', 'high value'] }).then([assigned(['ENTERPRISE', 'HIGH_VALUE'])]);
    system([created, assigned(['ENTERPRISE', 'HIGH_VALUE'])]).when({ type: 'AssignSegments', segments: ['HIGH_VALUE', 'ENTERPRISE'] }).then([]);
    system([created]).when({ type: 'AssignSegments', segments: [] }).then([]);
    system([created, assigned(['SMB'])]).when({ type: 'AssignSegments', segments: [] }).then([assigned([])]);
    expect(system([created, assigned(['SMB'])]).state).to.deep.include({ segments: ['SMB'], segment: 'UNSEGMENTED' });
  });

  it('a merged-away or missing profile takes no segments', () => {
    const mergedAway: CustomerProfileEvent = { type: 'CustomerMergedIntoEvent', data: { sourceCustomerId: 'CUST-1', targetCustomerId: 'CUST-2', mergeReason: 'DUPLICATE' } };
    system([created, mergedAway]).when({ type: 'AssignSegments', segments: ['SMB'] }).thenFails('CONFLICT', /merged into CUST-2/);
    system([]).when({ type: 'AssignSegments', segments: ['SMB'] }).thenFails('NOT_FOUND');
  });
});
