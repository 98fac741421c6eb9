import type { Aggregate } from '../../commands/handler.js';
import type { LeadCommand } from './commands.js';
import { leadDecider } from './decider.js';
import type { LeadState } from './state.js';
import type { LeadEvent } from './events.js';

export const leadAggregate: Aggregate<LeadCommand, LeadEvent, LeadState> = {
  category: 'lead',
  decider: leadDecider,
  guard: {
    resource: 'lead',
    ownerOf: (s) => (s.exists ? s.ownerId : undefined),
    newOwnersOf: (c, actorId) => (c.type === 'CreateLead' || c.type === 'AssignLead' ? [c.ownerId ?? actorId] : []),
  },
};

export * from './commands.js';
export * from './decider.js';
export * from './state.js';
export * from './events.js';
export * from './scoring.js';
export * from './marketingSync.js';
