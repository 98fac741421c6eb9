import type { Aggregate } from '../../commands/handler.js';
import type { ActivityCommand } from './commands.js';
import { type ActivityState, activityDecider } from './decider.js';
import type { ActivityEvent } from './events.js';

/**
 * One stream per activity: `activity-<tenant>:<id>`. Owned records: the policy asks about the
 * owner as it stands and every owner a command gives it (creation, reassignment).
 */
export const activityAggregate: Aggregate<ActivityCommand, ActivityEvent, ActivityState> = {
  category: 'activity',
  decider: activityDecider,
  guard: {
    resource: 'activity',
    relatedOf: (s) => (s.exists ? s.relatedTo : undefined),
    ownerOf: (s) => (s.exists ? s.ownerId : undefined),
    newOwnersOf: (c, actorId) => (c.type === 'CreateActivity' ? [c.ownerId ?? actorId] : c.type === 'ReassignActivity' ? [c.ownerId] : []),
  },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
export * from './related.js';
