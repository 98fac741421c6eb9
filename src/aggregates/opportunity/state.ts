import { type Amount, toBig } from '../../shared/money.js';
import { dealScore, decisionCriteriaKnown, isPush } from './dealScore.js';
import type { CommercialTerms, OnboardingContact } from './commercialTerms.js';
import type { OpportunityEvent } from './events.js';

/** What an opportunity's stream folds into: what the decider decides on, and the deal score. */
export type OpportunityStatus = 'open' | 'won' | 'lost';

export type OpportunityState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly opportunityId: string;
      readonly customerId: string;
      readonly ownerId: string;
      readonly territoryId: string | null;
      readonly status: OpportunityStatus;
      readonly stage: string;
      readonly probability: number;
      readonly amount: Amount;
      readonly currency: string;
      readonly expectedCloseDate: string | null;
      readonly nextStep: string | null;
      /** Quotes already attached: a redelivered QuoteCreatedEvent changes nothing. */
      readonly quoteIds: readonly string[];
      /** Offers whose rejection is recorded: a redelivered OfferRejected changes nothing. */
      readonly rejectedOfferIds: readonly string[];
      /** What the deal score (dealScore.ts) needs besides the above. */
      readonly leadId: string | null;
      readonly productCount: number;
      readonly decisionCriteriaKnown: boolean;
      readonly closeDatePushes: number;
      readonly probabilityDrops: number;
      /** What Billing and Operations get when it closes won (commercialTerms.ts). */
      readonly commercialTerms: CommercialTerms | null;
      readonly contacts: readonly OnboardingContact[];
      /** Data subjects whose erasure this deal has recorded. */
      readonly erasedSubjects: readonly string[];
    };

export type ExistingOpportunity = Extract<OpportunityState, { exists: true }>;

export function evolve(state: OpportunityState, event: OpportunityEvent): OpportunityState {
  switch (event.type) {
    case 'OpportunityCreatedEvent': {
      const d = event.data;
      return {
        exists: true,
        opportunityId: d.opportunityId,
        customerId: d.customerId,
        ownerId: d.ownerId,
        territoryId: d.territoryId ?? null,
        status: 'open',
        stage: d.stage,
        probability: d.probability,
        amount: d.amount,
        currency: d.currency,
        expectedCloseDate: d.expectedCloseDate,
        nextStep: null,
        quoteIds: [],
        rejectedOfferIds: [],
        leadId: d.leadId,
        productCount: d.products.length,
        decisionCriteriaKnown: decisionCriteriaKnown(d.metadata),
        closeDatePushes: 0,
        probabilityDrops: 0,
        commercialTerms: null,
        contacts: [],
        erasedSubjects: [],
      };
    }
    case 'OpportunityCommercialTermsSetEvent': {
      if (!state.exists) return state;
      const { opportunityId: _id, personalData, ...terms } = event.data;
      return { ...state, commercialTerms: terms, contacts: personalData.contacts };
    }
    case 'OpportunityContactsErasedEvent':
      // The contacts already open as erased; the state remembers the erasure is recorded.
      return state.exists ? { ...state, erasedSubjects: [...state.erasedSubjects, event.data.subjectId] } : state;
    case 'OpportunityStageChangedEvent':
      if (!state.exists) return state;
      return {
        ...state,
        stage: event.data.toStage,
        probability: event.data.probability,
        nextStep: event.data.nextStep,
        probabilityDrops: state.probabilityDrops + (event.data.probability < state.probability ? 1 : 0),
      };
    case 'OpportunityClosedWonEvent':
      if (!state.exists) return state;
      return { ...state, status: 'won', stage: event.data.toStage, probability: 100 };
    case 'OpportunityClosedLostEvent':
      if (!state.exists) return state;
      return { ...state, status: 'lost', stage: event.data.toStage, probability: 0 };
    case 'OpportunityPricingSnapshotAttachedEvent':
      if (!state.exists) return state;
      return { ...state, quoteIds: [...state.quoteIds, event.data.quoteId] };
    case 'OpportunityOfferRejectedEvent':
      if (!state.exists) return state;
      return {
        ...state,
        probability: event.data.probability,
        rejectedOfferIds: [...state.rejectedOfferIds, event.data.offerId],
        probabilityDrops: state.probabilityDrops + (event.data.probability < state.probability ? 1 : 0),
      };
    case 'OpportunityReassignedEvent':
      if (!state.exists) return state;
      return { ...state, ownerId: event.data.toOwnerId };
    case 'OpportunityTerritoryAssignedEvent':
      if (!state.exists) return state;
      return { ...state, territoryId: event.data.toTerritoryId };
    case 'OpportunityUpdatedEvent': {
      if (!state.exists) return state;
      const d = event.data;
      return {
        ...state,
        amount: d.amount ?? state.amount,
        currency: d.currency ?? state.currency,
        expectedCloseDate: d.expectedCloseDate === undefined ? state.expectedCloseDate : d.expectedCloseDate,
        probability: d.probability ?? state.probability,
        nextStep: d.nextStep === undefined ? state.nextStep : d.nextStep,
        closeDatePushes: state.closeDatePushes + (isPush(state.expectedCloseDate, d.expectedCloseDate) ? 1 : 0),
        probabilityDrops: state.probabilityDrops + (d.probability !== undefined && d.probability < state.probability ? 1 : 0),
      };
    }
  }
}

/** The deal score of an opportunity as its stream has it (the rubric: dealScore.ts). */
export function dealScoreOf(state: ExistingOpportunity): number {
  return dealScore({
    status: state.status,
    amountPositive: toBig(state.amount).gt(0),
    hasAccount: state.customerId !== '',
    probability: state.probability,
    hasExpectedCloseDate: state.expectedCloseDate !== null,
    productCount: state.productCount,
    fromLead: state.leadId !== null,
    decisionCriteriaKnown: state.decisionCriteriaKnown,
    hasNextStep: state.nextStep !== null,
    closeDatePushes: state.closeDatePushes,
    probabilityDrops: state.probabilityDrops,
  });
}
