import type { Role } from '../access/roles.js';
import { type ApiKeyState, apiKeyAggregate } from '../aggregates/apiKey/index.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';

/** API keys' use cases (admins only). The front door draws the secret; only its hash is recorded. */
export type ApiKeyResult = CommandResult<ApiKeyState>;

export interface IssueApiKeyInput {
  readonly keyId: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly expiresAt?: string;
  readonly secretHash: string;
}

export const issueApiKey = (app: AppContext, caller: Caller, input: IssueApiKeyInput): Promise<ApiKeyResult> =>
  app.execute(apiKeyAggregate, on(caller, input.keyId), { type: 'IssueApiKey', ...input, roles: [...new Set(input.roles)] });

export const revokeApiKey = (app: AppContext, caller: Caller, keyId: string, reason?: string): Promise<ApiKeyResult> =>
  app.execute(apiKeyAggregate, on(caller, keyId), { type: 'RevokeApiKey', ...(reason ? { reason } : {}) });
