import { opportunityAggregate } from '../aggregates/opportunity/index.js';
import { type AppContext, type Caller, on } from './context.js';
import { type OpportunityResult, changeStage } from './opportunities.js';

/**
 * What the Offers context's events do to a deal (seed 003, "Offers Service Integration").
 * Both are idempotent by themselves, as the Kafka inbound needs: a deal already in negotiation
 * stays as it is, and a rejection is recorded once per offer.
 */
export const OFFER_APPROVED_STAGE = 'NEGOTIATION';

/** OfferApproved → the deal moves to negotiation, under the tenant's stage rules like any move. */
export const approveOffer = (app: AppContext, caller: Caller, input: { readonly opportunityId: string }): Promise<OpportunityResult> =>
  changeStage(app, caller, { opportunityId: input.opportunityId, stage: OFFER_APPROVED_STAGE });

export interface RejectOfferInput {
  readonly opportunityId: string;
  readonly offerId: string;
  readonly reason: string;
  /** Offers' own figure; the decider's rule (aggregates/opportunity/offerRejection.ts) when absent. */
  readonly probability?: number;
}

/** OfferRejected → the deal's probability drops. */
export const rejectOffer = (app: AppContext, caller: Caller, { opportunityId, ...input }: RejectOfferInput): Promise<OpportunityResult> =>
  app.execute(opportunityAggregate, on(caller, opportunityId), { type: 'RecordOfferRejection', ...input });
