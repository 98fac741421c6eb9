import type { Aggregate } from '../../commands/handler.js';
import type { CustomerProfileCommand } from './commands.js';
import { type CustomerProfileState, customerProfileDecider } from './decider.js';
import type { CustomerProfileEvent } from './events.js';

/** Aggregate id = the customer id (CUST-100); streams `customerProfile-<tenant>:<id>`. */
export const customerProfileAggregate: Aggregate<CustomerProfileCommand, CustomerProfileEvent, CustomerProfileState> = {
  category: 'customerProfile',
  decider: customerProfileDecider,
  // Accounts have no owner; merging two of them is a step beyond editing one.
  guard: {
    resource: 'customer',
    actionOf: (c) => (c.type === 'MarkMergedInto' || c.type === 'CheckMergeTarget' || c.type === 'AcceptMerge' ? 'merge' : 'write'),
  },
};

export * from './commands.js';
export * from './decider.js';
export { toCode } from './fields.js';
export * from './events.js';
