import type { Amount } from '../../shared/money.js';
import type { DomainEvent } from '../decider.js';
import type { LeadMarketingSynced } from './marketingSync.js';
import type { ScoreBasis, ScoreBreakdown, Timeline } from './scoring.js';

/**
 * Lead events, in the style of seeds 000/001 (camelCase, amounts as decimal strings). Seed 003
 * names LeadCreatedEvent {leadId, source, ownerId, createdAt} and LeadConvertedEvent {leadId,
 * opportunityId, customerId, convertedAt}; the rest follows the same shape.
 */

/**
 * A person's name, email and phone: the ONLY place personal data sits in a lead event
 * (DESIGN §9), so that a crypto-shredding layer can wrap this one sub-object. The same shape
 * as LeadPersonalData in schemas/LeadCreatedEvent.avsc. Company, title and firmographics are
 * not personal data and stay outside.
 */
export interface LeadPersonalData {
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly email: string | null;
  readonly phone: string | null;
}

export type LeadCreated = DomainEvent<
  'LeadCreatedEvent',
  {
    leadId: string;
    /** Lower-case, as given (webinar, paid_search, ...). */
    source: string;
    ownerId: string;
    territoryId: string | null;
    /** The field name of schemas/LeadCreatedEvent.avsc. */
    companyName: string | null;
    title: string | null;
    industry: string | null;
    employeeCount: number | null;
    annualRevenue: Amount | null;
    currency: string | null;
    /** The score marketing sent with the lead (seed 004 `score`); evidence, not our score. */
    marketingScore: number | null;
    metadata: Record<string, unknown>;
    personalData: LeadPersonalData;
    createdAt: string;
  }
>;

export type LeadScored = DomainEvent<
  'LeadScoredEvent',
  {
    leadId: string;
    score: number;
    breakdown: ScoreBreakdown;
    basis: ScoreBasis;
    rubricVersion: number;
    /** The purchase window the score used, when one was known (months or 'none'). */
    timeline: Timeline | null;
  }
>;

export type LeadQualified = DomainEvent<
  'LeadQualifiedEvent',
  { leadId: string; score: number; threshold: number; notes: string | null }
>;

export type LeadDisqualified = DomainEvent<
  'LeadDisqualifiedEvent',
  { leadId: string; score: number; threshold: number; reason: string }
>;

export type LeadAssigned = DomainEvent<
  'LeadAssignedEvent',
  {
    leadId: string;
    ownerId: string;
    territoryId: string;
    reason: string;
    previousOwnerId: string | null;
    previousTerritoryId: string | null;
    assignedAt: string;
  }
>;

export type LeadConverted = DomainEvent<
  'LeadConvertedEvent',
  {
    leadId: string;
    opportunityId: string;
    customerId: string;
    /** True when the conversion creates a new CustomerProfile; false when it attaches to one. */
    customerCreated: boolean;
    convertedAt: string;
  }
>;

/**
 * The lead's personal data was erased (src/privacy: its data subject's key is destroyed, so the
 * personal data of LeadCreatedEvent reads as erased). Names the subject, never the person.
 */
export type LeadPersonalDataErased = DomainEvent<'LeadPersonalDataErasedEvent', { leadId: string; subjectId: string; erasedAt: string }>;

export type LeadEvent = LeadCreated | LeadScored | LeadQualified | LeadDisqualified | LeadAssigned | LeadConverted | LeadMarketingSynced | LeadPersonalDataErased;

export const LEAD_EVENT_TYPES = [
  'LeadCreatedEvent',
  'LeadScoredEvent',
  'LeadQualifiedEvent',
  'LeadDisqualifiedEvent',
  'LeadAssignedEvent',
  'LeadConvertedEvent',
  'LeadMarketingSyncedEvent',
  'LeadPersonalDataErasedEvent',
] as const satisfies readonly LeadEvent['type'][];
