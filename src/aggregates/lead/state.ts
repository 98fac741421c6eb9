import type { Amount } from '../../shared/money.js';
import type { LeadEvent, LeadPersonalData } from './events.js';
import type { Attribution } from './marketingSync.js';
import type { ScoreBreakdown, Timeline } from './scoring.js';

/**
 * Statuses: new → qualified | unqualified (by the rubric score, re-qualifying may move between
 * the two) → converted (only from qualified; final). A lead is scored from its creation on, so
 * "scored" is not a status of its own: seed 004 answers a fresh lead with status "new".
 */
export type LeadStatus = 'new' | 'qualified' | 'unqualified' | 'converted';

export type LeadState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly leadId: string;
      readonly status: LeadStatus;
      readonly source: string;
      readonly companyName: string | null;
      readonly title: string | null;
      readonly industry: string | null;
      readonly employeeCount: number | null;
      readonly annualRevenue: Amount | null;
      readonly currency: string | null;
      readonly metadata: Readonly<Record<string, unknown>>;
      readonly personalData: LeadPersonalData;
      readonly marketingScore: number | null;
      /** Marketing's campaign and attribution (marketingSync.ts). */
      readonly campaignId: string | null;
      readonly attribution: Attribution | null;
      readonly score: number;
      readonly breakdown: ScoreBreakdown;
      /** The purchase window the last score used (a qualify command's overrides the metadata's). */
      readonly timeline: Timeline | null;
      readonly ownerId: string;
      readonly territoryId: string | null;
      readonly assignedAt: string;
      readonly createdAt: string;
      readonly opportunityId: string | null;
      readonly customerId: string | null;
      readonly customerCreated: boolean;
      readonly convertedAt: string | null;
      /** When its personal data was erased; it then reads as erased (src/privacy). */
      readonly personalDataErasedAt: string | null;
    };


/** What a lead's stream folds into. */
export function evolve(state: LeadState, event: LeadEvent): LeadState {
  switch (event.type) {
    case 'LeadCreatedEvent': {
      const d = event.data;
      return {
        exists: true,
        leadId: d.leadId,
        status: 'new',
        source: d.source,
        companyName: d.companyName,
        title: d.title,
        industry: d.industry,
        employeeCount: d.employeeCount,
        annualRevenue: d.annualRevenue,
        currency: d.currency,
        metadata: d.metadata,
        personalData: d.personalData,
        marketingScore: d.marketingScore,
        campaignId: null,
        attribution: null,
        score: 0,
        breakdown: { companySize: 0, industry: 0, budget: 0, timeline: 0, decisionMaker: 0 },
        timeline: null,
        ownerId: d.ownerId,
        territoryId: d.territoryId,
        assignedAt: d.createdAt,
        createdAt: d.createdAt,
        opportunityId: null,
        customerId: null,
        customerCreated: false,
        convertedAt: null,
        personalDataErasedAt: null,
      };
    }
    case 'LeadMarketingSyncedEvent': {
      if (!state.exists) return state;
      const d = event.data;
      return { ...state, marketingScore: d.marketingScore, campaignId: d.campaignId, attribution: d.attribution };
    }
    case 'LeadScoredEvent':
      if (!state.exists) return state;
      return { ...state, score: event.data.score, breakdown: event.data.breakdown, timeline: event.data.timeline };
    case 'LeadQualifiedEvent':
      if (!state.exists) return state;
      return { ...state, status: 'qualified' };
    case 'LeadDisqualifiedEvent':
      if (!state.exists) return state;
      return { ...state, status: 'unqualified' };
    case 'LeadAssignedEvent':
      if (!state.exists) return state;
      return { ...state, ownerId: event.data.ownerId, territoryId: event.data.territoryId, assignedAt: event.data.assignedAt };
    case 'LeadPersonalDataErasedEvent':
      return state.exists ? { ...state, personalDataErasedAt: event.data.erasedAt } : state;
    case 'LeadConvertedEvent': {
      if (!state.exists) return state;
      const d = event.data;
      return {
        ...state,
        status: 'converted',
        opportunityId: d.opportunityId,
        customerId: d.customerId,
        customerCreated: d.customerCreated,
        convertedAt: d.convertedAt,
      };
    }
  }
}

