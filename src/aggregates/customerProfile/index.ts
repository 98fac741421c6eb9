import type { Aggregate } from '../../commands/handler.js';
import type { CustomerProfileCommand } from './commands.js';
import { type CustomerProfileState, customerProfileDecider } from './decider.js';
import type { CustomerProfileEvent } from './events.js';

/** Aggregate id = the customer id (CUST-100); streams `customerProfile-<tenant>:<id>`. */
export const customerProfileAggregate: Aggregate<CustomerProfileCommand, CustomerProfileEvent, CustomerProfileState> = {
  category: 'customerProfile',
  decider: customerProfileDecider,
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
