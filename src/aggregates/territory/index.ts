import type { Aggregate } from '../../commands/handler.js';
import type { TerritoryCommand } from './commands.js';
import { type TerritoryState, territoryDecider } from './decider.js';
import type { TerritoryEvent } from './events.js';

/** One stream per territory: `territory-<tenant>:<id>`. Admins manage territories. */
export const territoryAggregate: Aggregate<TerritoryCommand, TerritoryEvent, TerritoryState> = {
  category: 'territory',
  decider: territoryDecider,
  guard: { resource: 'territory' },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
