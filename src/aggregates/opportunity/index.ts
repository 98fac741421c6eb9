import type { Aggregate } from '../../commands/handler.js';
import type { OpportunityCommand } from './commands.js';
import { type OpportunityState, opportunityDecider } from './decider.js';
import type { OpportunityEvent } from './events.js';

export const opportunityAggregate: Aggregate<OpportunityCommand, OpportunityEvent, OpportunityState> = {
  category: 'opportunity',
  decider: opportunityDecider,
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
