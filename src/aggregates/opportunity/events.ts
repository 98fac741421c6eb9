import type { Amount } from '../../shared/money.js';
import type { DomainEvent } from '../decider.js';
import type { OpportunityCommercialTermsSet, OpportunityContactsErased } from './commercialTerms.js';

/** Payloads follow seed 000 (camelCase, amounts as decimal strings); extra fields are additive. */
export interface ProductLine {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: Amount;
}

export type OpportunityCreated = DomainEvent<
  'OpportunityCreatedEvent',
  {
    opportunityId: string;
    customerId: string;
    amount: Amount;
    currency: string;
    stage: string;
    name: string;
    leadId: string | null;
    /** Optional; older events lack it and read as null. */
    territoryId?: string | null;
    ownerId: string;
    probability: number;
    expectedCloseDate: string | null;
    products: ProductLine[];
    metadata: Record<string, unknown>;
  }
>;

export type OpportunityStageChanged = DomainEvent<
  'OpportunityStageChangedEvent',
  {
    opportunityId: string;
    fromStage: string;
    toStage: string;
    probability: number;
    nextStep: string | null;
    notes: string | null;
  }
>;

export type OpportunityClosedWon = DomainEvent<
  'OpportunityClosedWonEvent',
  {
    opportunityId: string;
    customerId: string;
    amount: Amount;
    currency: string;
    closeDate: string;
    fromStage: string;
    toStage: string;
    /** The order that won it (Orders' OrderCreated); absent when a rep closed it. Not on the seed 000 Avro schema. */
    orderId?: string;
  }
>;

export type OpportunityClosedLost = DomainEvent<
  'OpportunityClosedLostEvent',
  {
    opportunityId: string;
    customerId: string;
    amount: Amount;
    currency: string;
    closeDate: string;
    fromStage: string;
    toStage: string;
    reason: string;
  }
>;

/** Amount, currency, close date, probability or next step edited outside a stage move. */
export type OpportunityUpdated = DomainEvent<
  'OpportunityUpdatedEvent',
  {
    opportunityId: string;
    changedFields: string[];
    amount?: Amount;
    currency?: string;
    expectedCloseDate?: string | null;
    probability?: number;
    nextStep?: string | null;
    notes?: string | null;
  }
>;

/** A quote's pricing (Sales' QuoteCreatedEvent) attached to the opportunity. */
export type OpportunityPricingSnapshotAttached = DomainEvent<
  'OpportunityPricingSnapshotAttachedEvent',
  {
    opportunityId: string;
    quoteId: string;
    totalAmount: Amount;
    currency: string;
    validUntil: string | null;
    /** The consumed event's id, for tracing across contexts. */
    sourceEventId: string;
  }
>;

/** An offer for the deal was rejected (Offers' OfferRejected, seed 003): the probability it leaves the deal with. */
export type OpportunityOfferRejected = DomainEvent<
  'OpportunityOfferRejectedEvent',
  {
    opportunityId: string;
    offerId: string;
    reason: string;
    fromProbability: number;
    probability: number;
  }
>;

/** The deal changes hands: who had it, who has it now (the actor is in the metadata). */
export type OpportunityReassigned = DomainEvent<
  'OpportunityReassignedEvent',
  {
    opportunityId: string;
    fromOwnerId: string;
    toOwnerId: string;
    reason: string | null;
  }
>;

/** The deal moves to another territory (seed 004: assignment history). */
export type OpportunityTerritoryAssigned = DomainEvent<
  'OpportunityTerritoryAssignedEvent',
  { opportunityId: string; fromTerritoryId: string | null; toTerritoryId: string; reason: string | null }
>;

export type OpportunityEvent =
  | OpportunityCommercialTermsSet
  | OpportunityContactsErased
  | OpportunityPricingSnapshotAttached
  | OpportunityOfferRejected
  | OpportunityReassigned
  | OpportunityTerritoryAssigned
  | OpportunityCreated
  | OpportunityStageChanged
  | OpportunityClosedWon
  | OpportunityClosedLost
  | OpportunityUpdated;

export const OPPORTUNITY_EVENT_TYPES = [
  'OpportunityCreatedEvent',
  'OpportunityStageChangedEvent',
  'OpportunityClosedWonEvent',
  'OpportunityClosedLostEvent',
  'OpportunityUpdatedEvent',
  'OpportunityPricingSnapshotAttachedEvent',
  'OpportunityReassignedEvent',
  'OpportunityTerritoryAssignedEvent',
  'OpportunityOfferRejectedEvent',
  'OpportunityCommercialTermsSetEvent',
  'OpportunityContactsErasedEvent',
] as const satisfies readonly OpportunityEvent['type'][];
