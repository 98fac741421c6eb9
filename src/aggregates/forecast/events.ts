import type { Amount } from '../../shared/money.js';
import type { DomainEvent } from '../decider.js';
import type { ForecastType, StageBreakdown } from './commands.js';

/** Payloads in the style of seed 000 (camelCase, amounts as decimal strings). */
export type ForecastCreated = DomainEvent<
  'ForecastCreatedEvent',
  {
    forecastId: string;
    /** Canonical period code (Q1_2026, 2026-03, 2026). */
    period: string;
    territoryId: string | null;
    ownerId: string;
    forecastType: ForecastType;
    amount: Amount;
    currency: string;
    notes: string | null;
    /**
     * Whose deals the forecast measures: its owner's (own), the owner's and its teams' (team), or
     * the tenant's (all). Absent on forecasts created before access control: all.
     */
    dealScope?: DealScope;
  }
>;

export type DealScope = 'own' | 'team' | 'all';

export type ForecastAdjusted = DomainEvent<
  'ForecastAdjustedEvent',
  {
    forecastId: string;
    fromAmount: Amount;
    toAmount: Amount;
    reason: string;
  }
>;

/**
 * Seed 004's forecast.updated payload in camelCase (the Kafka topic of seed 000 carries it as
 * crm.pipeline.forecast.snapshot.created). `amount` is the forecast's amount at the time;
 * `probabilityWeightedAmount` and `breakdown` are the pipeline's. `currency` is additive: the
 * Avro schema carries it, and amounts mean nothing without it.
 */
export type ForecastSnapshotCreated = DomainEvent<
  'ForecastSnapshotCreatedEvent',
  {
    forecastId: string;
    period: string;
    territoryId: string | null;
    forecastType: ForecastType;
    currency: string;
    amount: Amount;
    probabilityWeightedAmount: Amount;
    breakdown: StageBreakdown[];
    generatedAt: string;
    /** Set when a change to the pipeline called for it (seed 004's real-time path): the event's id. */
    trigger?: string;
  }
>;

export type ForecastLocked = DomainEvent<
  'ForecastLockedEvent',
  {
    forecastId: string;
    period: string;
    amount: Amount;
    reason: string | null;
  }
>;

/** The forecast changes hands: who answered for it, who does now (the actor is in the metadata). */
export type ForecastReassigned = DomainEvent<
  'ForecastReassignedEvent',
  {
    forecastId: string;
    fromOwnerId: string;
    toOwnerId: string;
    reason: string | null;
  }
>;

export type ForecastEvent = ForecastCreated | ForecastAdjusted | ForecastSnapshotCreated | ForecastLocked | ForecastReassigned;

export const FORECAST_EVENT_TYPES = [
  'ForecastCreatedEvent',
  'ForecastAdjustedEvent',
  'ForecastSnapshotCreatedEvent',
  'ForecastLockedEvent',
  'ForecastReassignedEvent',
] as const satisfies readonly ForecastEvent['type'][];
