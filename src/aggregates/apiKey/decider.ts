import type { Role } from '../../access/roles.js';
import { conflict, notFound, validation } from '../../shared/errors.js';
import type { Decider } from '../decider.js';
import type { ApiKeyCommand } from './commands.js';
import type { ApiKeyEvent } from './events.js';

export type ApiKeyState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly keyId: string;
      readonly name: string;
      readonly roles: readonly Role[];
      readonly expiresAt: string | null;
      readonly secretHash: string;
      readonly revoked: boolean;
    };

/** Whether a key in this state authenticates a request at `now`. */
export function isKeyUsable(state: ApiKeyState, now: Date): state is Extract<ApiKeyState, { exists: true }> {
  return state.exists && !state.revoked && (state.expiresAt === null || Date.parse(state.expiresAt) > now.getTime());
}

function decide(command: ApiKeyCommand, state: ApiKeyState, ctx: { now: Date }): ApiKeyEvent[] {
  switch (command.type) {
    case 'IssueApiKey': {
      if (state.exists) throw conflict(`API key ${command.keyId} already exists`, { id: command.keyId });
      if (command.roles.length === 0) throw validation('An API key needs at least one role', { field: 'roles' });
      if (command.expiresAt !== undefined && Date.parse(command.expiresAt) <= ctx.now.getTime()) {
        throw validation('expires_at must be in the future', { field: 'expires_at' });
      }
      return [
        {
          type: 'ApiKeyIssuedEvent',
          data: {
            keyId: command.keyId,
            name: command.name,
            roles: [...command.roles],
            expiresAt: command.expiresAt ?? null,
            secretHash: command.secretHash,
          },
        },
      ];
    }
    case 'RevokeApiKey': {
      if (!state.exists) throw notFound('API key not found');
      if (state.revoked) return [];
      return [{ type: 'ApiKeyRevokedEvent', data: { keyId: state.keyId, reason: command.reason?.trim() || null } }];
    }
  }
}

function evolve(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case 'ApiKeyIssuedEvent': {
      const d = event.data;
      return { exists: true, keyId: d.keyId, name: d.name, roles: d.roles, expiresAt: d.expiresAt, secretHash: d.secretHash, revoked: false };
    }
    case 'ApiKeyRevokedEvent':
      return state.exists ? { ...state, revoked: true } : state;
  }
}

export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyEvent, ApiKeyState> = {
  initialState: { exists: false },
  evolve,
  decide,
};
