import { type QuotaState, quotaAggregate, quotaIdOf } from '../aggregates/quota/index.js';
import type { Amount } from '../shared/money.js';
import type { Period } from '../shared/period.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';

/** Quotas (seed 004): set per owner or territory and period, updated; attainment is the workflow's. */
export type QuotaResult = CommandResult<QuotaState>;

export interface SetQuotaInput {
  readonly ownerId?: string;
  readonly territoryId?: string;
  readonly period: Period;
  readonly amount: Amount;
  readonly currency: string;
}

/** The quota's id for a set request: the same target and period always name the same quota. */
export const quotaIdFor = (input: Pick<SetQuotaInput, 'ownerId' | 'territoryId' | 'period'>) => quotaIdOf(input, input.period);

/** Creates the quota of the target and period, or updates it when it exists (nothing when unchanged). */
export const setQuota = (app: AppContext, caller: Caller, input: SetQuotaInput): Promise<QuotaResult> =>
  app.execute(quotaAggregate, on(caller, quotaIdFor(input)), {
    type: 'SetQuota',
    quotaId: quotaIdFor(input),
    ...(input.ownerId !== undefined ? { ownerId: input.ownerId } : {}),
    ...(input.territoryId !== undefined ? { territoryId: input.territoryId } : {}),
    period: input.period.code,
    amount: input.amount,
    currency: input.currency,
  });

export const updateQuota = (app: AppContext, caller: Caller, quotaId: string, input: { amount?: Amount; currency?: string }) =>
  app.execute(quotaAggregate, on(caller, quotaId), {
    type: 'UpdateQuota',
    ...(input.amount !== undefined ? { amount: input.amount } : {}),
    ...(input.currency !== undefined ? { currency: input.currency } : {}),
  });
