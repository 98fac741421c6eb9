import type { Aggregate } from '../../commands/handler.js';
import type { TeamCommand } from './commands.js';
import { type TeamState, teamDecider } from './decider.js';
import type { TeamEvent } from './events.js';

/** One stream per team: `team-<tenant>:<teamId>`. Only admins change the directory. */
export const teamAggregate: Aggregate<TeamCommand, TeamEvent, TeamState> = {
  category: 'team',
  decider: teamDecider,
  guard: { resource: 'team' },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
