import type { Aggregate } from '../../commands/handler.js';
import type { ForecastCommand } from './commands.js';
import { type ForecastState, forecastDecider } from './decider.js';
import type { ForecastEvent } from './events.js';

export const forecastAggregate: Aggregate<ForecastCommand, ForecastEvent, ForecastState> = {
  category: 'forecast',
  decider: forecastDecider,
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
