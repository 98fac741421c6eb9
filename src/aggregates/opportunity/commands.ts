import type { Amount } from '../../shared/money.js';
import type { StageSet } from '../pipelineStage/stages.js';
import type { CommercialTerms, OnboardingContact } from './commercialTerms.js';
import type { ProductLine } from './events.js';

/** Commands carry values already parsed at the edge (Amount, ISO dates); rules live in decide. */
export type OpportunityCommand =
  | {
      type: 'CreateOpportunity';
      stages: StageSet;
      opportunityId: string;
      name: string;
      customerId: string;
      leadId?: string;
      territoryId?: string;
      ownerId?: string;
      /** Default: the set's first open stage. */
      stage?: string;
      amount: Amount;
      currency: string;
      probability?: number;
      expectedCloseDate?: string;
      products?: ProductLine[];
      metadata?: Record<string, unknown>;
    }
  | {
      type: 'ChangeStage';
      stages: StageSet;
      stage: string;
      probability?: number;
      nextStep?: string;
      notes?: string;
      /** Needed when the target stage is a lost one. */
      lostReason?: string;
      /** Customers whose credit limit is exceeded (Finance/AR): closing as won is blocked. */
      creditHolds?: ReadonlySet<string>;
    }
  | {
      type: 'CloseOpportunity';
      stages: StageSet;
      outcome: 'won' | 'lost';
      closeDate?: string;
      reason?: string;
      creditHolds?: ReadonlySet<string>;
      /** Won by this order (Orders' OrderCreated): a deal already won stays as it is. */
      orderId?: string;
    }
  | {
      /** Offers' OfferRejected: the probability drops (offerRejection.ts), once per offer. */
      type: 'RecordOfferRejection';
      offerId: string;
      reason: string;
      /** The probability the Offers context sets; the rule's when absent. */
      probability?: number;
    }
  | {
      /** Sales' QuoteCreatedEvent: the quote's pricing, attached once per quote. */
      type: 'AttachPricingSnapshot';
      quoteId: string;
      totalAmount: Amount;
      currency: string;
      validUntil: string | null;
      sourceEventId: string;
    }
  | {
      /** Ownership changes hands (a manager within its team, an admin anywhere: the policy's call). */
      type: 'ReassignOpportunity';
      ownerId: string;
      reason?: string;
    }
  | { type: 'AssignOpportunityTerritory'; territoryId: string; reason?: string }
  | { type: 'SetCommercialTerms'; terms: CommercialTerms; contacts: OnboardingContact[] }
  /** Records that a contact's data subject is erased (src/commands/erasures.ts); also on a closed deal. */
  | { type: 'RecordPersonalDataErasure'; subjectId: string }
  | {
      type: 'UpdateOpportunity';
      amount?: Amount;
      currency?: string;
      expectedCloseDate?: string | null;
    };
