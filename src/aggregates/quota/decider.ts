import { conflict, notFound, validation } from '../../shared/errors.js';
import { type Amount, AMOUNT_RULE, isCurrency, parseAmount, ratioOf, toBig } from '../../shared/money.js';
import { type Period, requirePeriod } from '../../shared/period.js';
import type { Decider, DecisionContext } from '../decider.js';
import { uuidV5 } from '../../shared/uuid.js';
import type { QuotaCommand } from './commands.js';
import type { QuotaEvent } from './events.js';

/**
 * A sales quota (seed 004 sales.quotas): an amount to win in a period, for one user or one
 * territory. One stream per (tenant, target, period), its id derived from the target and the
 * period (quotaIdOf), so setting the quota of the same target and period again updates it.
 *
 * Attainment is recorded once per quota amount: the won amount reaching the quota appends
 * QuotaAttainedEvent; the same or a lower amount is never attained again. A quota raised above
 * the highest amount it was attained at must be earned again and is attained (once more) when
 * the won amount reaches the new amount. A change of currency starts over (amounts in another
 * currency are not comparable).
 */
export type QuotaState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly quotaId: string;
      readonly ownerId: string | null;
      readonly territoryId: string | null;
      readonly period: string;
      readonly amount: Amount;
      readonly currency: string;
      /** The highest quota amount attained in this currency; null: not attained. */
      readonly attainedAmount: Amount | null;
    };

type Existing = Extract<QuotaState, { exists: true }>;

const QUOTA_NAMESPACE = '3f2c9d4e-7a1b-4c8e-9f60-2b5d8e1a7c43';

/** The quota's id: a uuid (v5) of its target and canonical period, the same for every request. */
export function quotaIdOf(target: { ownerId?: string | null; territoryId?: string | null }, period: Period): string {
  const key = target.territoryId ? `territory\n${target.territoryId}` : `owner\n${target.ownerId ?? ''}`;
  return uuidV5(`${key}\n${period.code}`, QUOTA_NAMESPACE);
}

function requirePositive(value: string, field = 'amount'): Amount {
  const parsed = parseAmount(String(value));
  if (parsed === undefined || toBig(parsed).isZero()) throw validation(`${field} must be positive: ${AMOUNT_RULE}`, { field, [field]: value });
  return parsed;
}

function requireCurrency(code: string): string {
  if (!isCurrency(code)) throw validation('currency must be an ISO 4217 code', { field: 'currency' });
  return code;
}

function requireExisting(state: QuotaState): Existing {
  if (!state.exists) throw notFound('Quota not found');
  return state;
}

/** The change to amount and currency, or [] when there is none. */
function update(current: Existing, amount: Amount, currency: string, actorId: string): QuotaEvent[] {
  if (toBig(amount).eq(current.amount) && currency === current.currency) return [];
  return [
    {
      type: 'QuotaUpdatedEvent',
      data: { quotaId: current.quotaId, fromAmount: current.amount, toAmount: amount, fromCurrency: current.currency, toCurrency: currency, updatedBy: actorId },
    },
  ];
}

function decide(command: QuotaCommand, state: QuotaState, ctx: DecisionContext): QuotaEvent[] {
  switch (command.type) {
    case 'SetQuota': {
      const ownerId = command.ownerId?.trim() || null;
      const territoryId = command.territoryId?.trim() || null;
      if ((ownerId === null) === (territoryId === null)) {
        throw validation('A quota is for an owner or for a territory: give exactly one of owner_id and territory_id', { field: 'owner_id' });
      }
      const period = requirePeriod(command.period);
      const amount = requirePositive(command.amount);
      const currency = requireCurrency(command.currency);
      if (!state.exists) {
        return [{ type: 'QuotaSetEvent', data: { quotaId: command.quotaId, ownerId, territoryId, period: period.code, amount, currency, setBy: ctx.actorId } }];
      }
      if (state.ownerId !== ownerId || state.territoryId !== territoryId || state.period !== period.code) {
        throw conflict(`Quota ${state.quotaId} is for another target or period`, { id: state.quotaId, owner_id: state.ownerId, territory_id: state.territoryId, period: state.period });
      }
      return update(state, amount, currency, ctx.actorId);
    }
    case 'UpdateQuota': {
      const current = requireExisting(state);
      if (command.amount === undefined && command.currency === undefined) throw validation('Give an amount or a currency to change', { field: 'amount' });
      const amount = command.amount === undefined ? current.amount : requirePositive(command.amount);
      const currency = command.currency === undefined ? current.currency : requireCurrency(command.currency);
      return update(current, amount, currency, ctx.actorId);
    }
    case 'RecordQuotaAttainment': {
      const current = requireExisting(state);
      const won = toBig(command.wonAmount);
      // Figures of another currency, a quota not reached, or an amount attained already: nothing.
      if (command.currency !== current.currency || won.lt(current.amount)) return [];
      if (current.attainedAmount !== null && toBig(current.amount).lte(current.attainedAmount)) return [];
      const { quotaId, ownerId, territoryId, period, amount, currency } = current;
      return [
        {
          type: 'QuotaAttainedEvent',
          data: { quotaId, ownerId, territoryId, period, quotaAmount: amount, wonAmount: command.wonAmount, currency, attainment: ratioOf(command.wonAmount, amount) ?? '0.0000' },
        },
      ];
    }
  }
}

function evolve(state: QuotaState, event: QuotaEvent): QuotaState {
  switch (event.type) {
    case 'QuotaSetEvent': {
      const { quotaId, ownerId, territoryId, period, amount, currency } = event.data;
      return { exists: true, quotaId, ownerId, territoryId, period, amount, currency, attainedAmount: null };
    }
    case 'QuotaUpdatedEvent':
      if (!state.exists) return state;
      return {
        ...state,
        amount: event.data.toAmount,
        currency: event.data.toCurrency,
        attainedAmount: event.data.toCurrency === event.data.fromCurrency ? state.attainedAmount : null,
      };
    case 'QuotaAttainedEvent':
      return state.exists ? { ...state, attainedAmount: event.data.quotaAmount } : state;
  }
}

export const quotaDecider: Decider<QuotaCommand, QuotaEvent, QuotaState> = { initialState: { exists: false }, evolve, decide };
