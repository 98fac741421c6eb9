import BigNumber from 'bignumber.js';
import { DomainError, conflict, notFound, validation } from '../../shared/errors.js';
import { type Amount, AMOUNT_RULE, isCurrency, parseAmount, toBig } from '../../shared/money.js';
import { requirePeriod } from '../../shared/period.js';
import type { Decider, DecisionContext } from '../decider.js';
import { FORECAST_TYPES, type ForecastCommand, type ForecastType, type PipelineFigures, type StageBreakdown } from './commands.js';
import type { DealScope, ForecastEvent } from './events.js';

export type ForecastStatus = 'open' | 'locked';

export type ForecastState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly forecastId: string;
      readonly period: string;
      readonly territoryId: string | null;
      readonly ownerId: string;
      readonly forecastType: ForecastType;
      readonly amount: Amount;
      readonly currency: string;
      readonly status: ForecastStatus;
      readonly snapshotCount: number;
      readonly dealScope: DealScope;
      /** The last RECENT_TRIGGERS refreshes' triggers: a replayed one makes no second snapshot. */
      readonly recentTriggers: readonly string[];
    };

type Existing = Extract<ForecastState, { exists: true }>;

/** How many refresh triggers a forecast remembers: replays further back than this snapshot again. */
const RECENT_TRIGGERS = 200;

/** `Commit`, `BEST-CASE`, `best case` → seed 004's spelling, or undefined. */
export function normaliseForecastType(input: string): ForecastType | undefined {
  const t = input.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return (FORECAST_TYPES as readonly string[]).includes(t) ? (t as ForecastType) : undefined;
}

/** The Amount type is built at the edge; the decider still refuses anything that is not one. */
function requireAmount(value: string, field = 'amount'): Amount {
  const parsed = parseAmount(String(value));
  if (parsed === undefined) throw validation(`${field} must be ${AMOUNT_RULE}`, { field, [field]: value });
  return parsed;
}

function requireExisting(state: ForecastState): Existing {
  if (!state.exists) throw notFound('Forecast not found');
  return state;
}

function requireOpen(state: ForecastState): Existing {
  const current = requireExisting(state);
  if (current.status === 'locked') {
    throw new DomainError('CONFLICT', `Forecast ${current.forecastId} is locked; it cannot change any more`, {
      status: current.status,
      period: current.period,
    });
  }
  return current;
}

/** The figures must be the pipeline of this very forecast, and add up. */
function checkFigures(current: Existing, p: PipelineFigures): StageBreakdown[] {
  const period = requirePeriod(p.period);
  const mismatch = (field: string, expected: unknown, given: unknown) =>
    validation(`The snapshot's ${field} is not the forecast's`, { field, expected, given });
  if (period.code !== current.period) throw mismatch('period', current.period, period.code);
  if ((p.territoryId ?? null) !== current.territoryId) throw mismatch('territory_id', current.territoryId, p.territoryId ?? null);
  if (p.currency !== current.currency) throw mismatch('currency', current.currency, p.currency);

  const seen = new Set<string>();
  const breakdown = p.breakdown.map((s, i): StageBreakdown => {
    const at = `breakdown.${i}`;
    if (!s.stage.trim()) throw validation('A breakdown row needs a stage', { field: `${at}.stage` });
    if (seen.has(s.stage)) throw validation(`Stage ${s.stage} appears twice in the breakdown`, { field: `${at}.stage`, stage: s.stage });
    seen.add(s.stage);
    if (!Number.isSafeInteger(s.count) || s.count < 0) throw validation('count must be a non-negative integer', { field: `${at}.count` });
    const totalAmount = requireAmount(s.totalAmount, `${at}.total_amount`);
    const weightedAmount = requireAmount(s.weightedAmount, `${at}.weighted_amount`);
    // A probability is at most 100 %: the weighted part of a stage never exceeds its total.
    if (toBig(weightedAmount).gt(totalAmount)) {
      throw validation(`The weighted amount of ${s.stage} exceeds its total`, { field: `${at}.weighted_amount` });
    }
    if (s.count === 0 && !toBig(totalAmount).isZero()) {
      throw validation(`Stage ${s.stage} has an amount but no opportunities`, { field: `${at}.total_amount` });
    }
    return { stage: s.stage, count: s.count, totalAmount, weightedAmount };
  });

  const weighted = breakdown.reduce((acc, s) => acc.plus(s.weightedAmount), new BigNumber(0));
  const declared = toBig(requireAmount(p.probabilityWeightedAmount, 'probability_weighted_amount'));
  if (!weighted.eq(declared)) {
    throw validation('probability_weighted_amount must be the sum of the breakdown\'s weighted amounts', {
      field: 'probability_weighted_amount',
      expected: weighted.toFixed(2),
      given: p.probabilityWeightedAmount,
    });
  }
  return breakdown;
}

function decide(command: ForecastCommand, state: ForecastState, ctx: DecisionContext): ForecastEvent[] {
  switch (command.type) {
    case 'CreateForecast': {
      if (state.exists) throw conflict(`Forecast ${command.forecastId} already exists`, { id: command.forecastId });
      const period = requirePeriod(command.period);
      const forecastType = normaliseForecastType(command.forecastType);
      if (!forecastType) {
        throw validation(`Unknown forecast type "${command.forecastType}"`, { field: 'forecast_type', allowed_types: [...FORECAST_TYPES] });
      }
      if (!isCurrency(command.currency)) throw validation('currency must be an ISO 4217 code', { field: 'currency' });
      return [
        {
          type: 'ForecastCreatedEvent',
          data: {
            forecastId: command.forecastId,
            period: period.code,
            territoryId: command.territoryId ?? null,
            ownerId: command.ownerId ?? ctx.actorId,
            forecastType,
            amount: requireAmount(command.amount),
            currency: command.currency,
            notes: command.notes?.trim() || null,
            dealScope: command.dealScope ?? 'own',
          },
        },
      ];
    }

    case 'AdjustForecast': {
      const current = requireOpen(state);
      const amount = requireAmount(command.amount);
      const reason = command.reason?.trim();
      if (!reason) throw validation('A reason is required to adjust a forecast', { field: 'reason' });
      // An adjustment is a deliberate act with a reason; one that changes nothing is a mistake.
      if (toBig(amount).eq(current.amount)) {
        throw validation('The forecast already has this amount', { field: 'amount', current_amount: current.amount });
      }
      return [{ type: 'ForecastAdjustedEvent', data: { forecastId: current.forecastId, fromAmount: current.amount, toAmount: amount, reason } }];
    }

    case 'SubmitSnapshot': {
      const current = requireOpen(state);
      if (command.trigger !== undefined && current.recentTriggers.includes(command.trigger)) return [];
      const breakdown = checkFigures(current, command.pipeline);
      return [
        {
          type: 'ForecastSnapshotCreatedEvent',
          data: {
            forecastId: current.forecastId,
            period: current.period,
            territoryId: current.territoryId,
            forecastType: current.forecastType,
            currency: current.currency,
            amount: current.amount,
            probabilityWeightedAmount: requireAmount(command.pipeline.probabilityWeightedAmount),
            breakdown,
            generatedAt: ctx.now.toISOString(),
            ...(command.trigger !== undefined ? { trigger: command.trigger } : {}),
          },
        },
      ];
    }

    case 'ReassignForecast': {
      const current = requireOpen(state);
      if (command.ownerId === current.ownerId) return [];
      return [
        {
          type: 'ForecastReassignedEvent',
          data: { forecastId: current.forecastId, fromOwnerId: current.ownerId, toOwnerId: command.ownerId, reason: command.reason?.trim() || null },
        },
      ];
    }

    case 'LockForecast': {
      const current = requireExisting(state);
      if (current.status === 'locked') return [];
      return [
        {
          type: 'ForecastLockedEvent',
          data: { forecastId: current.forecastId, period: current.period, amount: current.amount, reason: command.reason?.trim() || null },
        },
      ];
    }
  }
}

function evolve(state: ForecastState, event: ForecastEvent): ForecastState {
  switch (event.type) {
    case 'ForecastCreatedEvent': {
      const d = event.data;
      return {
        exists: true,
        forecastId: d.forecastId,
        period: d.period,
        territoryId: d.territoryId,
        ownerId: d.ownerId,
        forecastType: d.forecastType,
        amount: d.amount,
        currency: d.currency,
        status: 'open',
        snapshotCount: 0,
        dealScope: d.dealScope ?? 'all',
        recentTriggers: [],
      };
    }
    case 'ForecastAdjustedEvent':
      return state.exists ? { ...state, amount: event.data.toAmount } : state;
    case 'ForecastSnapshotCreatedEvent': {
      if (!state.exists) return state;
      const trigger = event.data.trigger;
      const recentTriggers = trigger ? [...state.recentTriggers, trigger].slice(-RECENT_TRIGGERS) : state.recentTriggers;
      return { ...state, snapshotCount: state.snapshotCount + 1, recentTriggers };
    }
    case 'ForecastLockedEvent':
      return state.exists ? { ...state, status: 'locked' } : state;
    case 'ForecastReassignedEvent':
      return state.exists ? { ...state, ownerId: event.data.toOwnerId } : state;
  }
}

export const forecastDecider: Decider<ForecastCommand, ForecastEvent, ForecastState> = {
  initialState: { exists: false },
  evolve,
  decide,
};
