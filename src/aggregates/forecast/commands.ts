import type { Amount } from '../../shared/money.js';
import type { DealScope } from './events.js';

/** Seed 004's forecast types; input in any case is normalised to these. */
export const FORECAST_TYPES = ['commit', 'best_case', 'pipeline'] as const;
export type ForecastType = (typeof FORECAST_TYPES)[number];

/** One stage's pipeline figures in a snapshot (seed 004 forecast.updated breakdown, camelCase). */
export interface StageBreakdown {
  readonly stage: string;
  readonly count: number;
  readonly totalAmount: Amount;
  readonly weightedAmount: Amount;
}

/** Pipeline figures computed outside (the pipeline query) and recorded by a snapshot. */
export interface PipelineFigures {
  /** What the figures were computed for; must be the forecast's own period, territory and currency. */
  readonly period: string;
  readonly territoryId: string | null;
  readonly currency: string;
  readonly probabilityWeightedAmount: Amount;
  readonly breakdown: readonly StageBreakdown[];
}

/** Commands carry values parsed at the edge (Amount, period codes); rules live in decide. */
export type ForecastCommand =
  | {
      type: 'CreateForecast';
      forecastId: string;
      period: string;
      territoryId?: string;
      /** Defaults to the actor. */
      ownerId?: string;
      forecastType: string;
      amount: Amount;
      currency: string;
      notes?: string;
      /** Whose deals it measures (the access policy's reach of its owner); default own. */
      dealScope?: DealScope;
    }
  | { type: 'AdjustForecast'; amount: Amount; reason: string }
  | {
      type: 'SubmitSnapshot';
      pipeline: PipelineFigures;
      /** The event that called for it (a workflow's refresh): a second one for it changes nothing. */
      trigger?: string;
    }
  /** Another owner answers for the forecast (the policy decides who may give it to whom). */
  | { type: 'ReassignForecast'; ownerId: string; reason?: string }
  /** Freezes the forecast (the period is closed): no adjustment or snapshot afterwards. */
  | { type: 'LockForecast'; reason?: string };
