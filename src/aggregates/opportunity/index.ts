import type { Aggregate } from '../../commands/handler.js';
import type { OpportunityCommand } from './commands.js';
import { opportunityDecider } from './decider.js';
import type { OpportunityState } from './state.js';
import type { OpportunityEvent } from './events.js';

export const opportunityAggregate: Aggregate<OpportunityCommand, OpportunityEvent, OpportunityState> = {
  category: 'opportunity',
  decider: opportunityDecider,
  guard: {
    resource: 'opportunity',
    ownerOf: (s) => (s.exists ? s.ownerId : undefined),
    newOwnersOf: (c, actorId) =>
      c.type === 'CreateOpportunity' ? [c.ownerId ?? actorId] : c.type === 'ReassignOpportunity' ? [c.ownerId] : [],
  },
};

export * from './commands.js';
export * from './decider.js';
export * from './state.js';
export * from './events.js';
