import type { Amount } from '../../shared/money.js';
import type { DomainEvent } from '../decider.js';

/**
 * Seed 004's quota.set / quota.updated / quota.attained (topic sales.quotas), in the style of
 * seed 000 (camelCase, amounts as decimal strings). Exactly one of ownerId and territoryId is set.
 */
export type QuotaSet = DomainEvent<
  'QuotaSetEvent',
  {
    quotaId: string;
    ownerId: string | null;
    territoryId: string | null;
    /** Canonical period code (Q1_2026, 2026-03, 2026). */
    period: string;
    amount: Amount;
    currency: string;
    setBy: string;
  }
>;

/** Only a real change is recorded; from* say what it was. */
export type QuotaUpdated = DomainEvent<
  'QuotaUpdatedEvent',
  {
    quotaId: string;
    fromAmount: Amount;
    toAmount: Amount;
    fromCurrency: string;
    toCurrency: string;
    updatedBy: string;
  }
>;

/** The won amount reached the quota: once per quota amount (see the decider). */
export type QuotaAttained = DomainEvent<
  'QuotaAttainedEvent',
  {
    quotaId: string;
    ownerId: string | null;
    territoryId: string | null;
    period: string;
    quotaAmount: Amount;
    wonAmount: Amount;
    currency: string;
    /** wonAmount / quotaAmount, 4 decimals half up. */
    attainment: string;
  }
>;

export type QuotaEvent = QuotaSet | QuotaUpdated | QuotaAttained;

export const QUOTA_EVENT_TYPES = ['QuotaSetEvent', 'QuotaUpdatedEvent', 'QuotaAttainedEvent'] as const satisfies readonly QuotaEvent['type'][];
