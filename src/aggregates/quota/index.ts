import type { Aggregate } from '../../commands/handler.js';
import type { QuotaCommand } from './commands.js';
import { type QuotaState, quotaDecider } from './decider.js';
import type { QuotaEvent } from './events.js';

/**
 * One stream per quota: `quota-<tenant>:<quotaIdOf(target, period)>`. A user's quota belongs to
 * that user (managers set them within their teams, admins anywhere; the user reads it); a
 * territory's quota has no owner, so only a tenant-wide reach (admin; compliance reads) touches it.
 */
export const quotaAggregate: Aggregate<QuotaCommand, QuotaEvent, QuotaState> = {
  category: 'quota',
  decider: quotaDecider,
  guard: {
    resource: 'quota',
    ownerOf: (s) => (s.exists ? s.ownerId : undefined),
    newOwnersOf: (c) => (c.type === 'SetQuota' ? [c.territoryId ? null : (c.ownerId ?? null)] : []),
  },
};

export * from './commands.js';
export * from './decider.js';
export * from './events.js';
