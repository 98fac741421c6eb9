import type { Aggregate } from '../../commands/handler.js';
import type { ForecastCommand } from './commands.js';
import { type ForecastState, forecastDecider } from './decider.js';
import type { ForecastEvent } from './events.js';

export const forecastAggregate: Aggregate<ForecastCommand, ForecastEvent, ForecastState> = {
  category: 'forecast',
  decider: forecastDecider,
  guard: {
    resource: 'forecast',
    ownerOf: (s) => (s.exists ? s.ownerId : undefined),
    newOwnersOf: (c, actorId) =>
      c.type === 'CreateForecast' ? [c.ownerId ?? actorId] : c.type === 'ReassignForecast' ? [c.ownerId] : [],
  },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
