import type { Aggregate } from '../../commands/handler.js';
import type { ApiKeyCommand } from './commands.js';
import { type ApiKeyState, apiKeyDecider } from './decider.js';
import type { ApiKeyEvent } from './events.js';

/** One stream per key: `apiKey-<tenant>:<keyId>`. Only admins issue and revoke keys. */
export const apiKeyAggregate: Aggregate<ApiKeyCommand, ApiKeyEvent, ApiKeyState> = {
  category: 'apiKey',
  decider: apiKeyDecider,
  guard: { resource: 'apiKey' },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
