import { expect } from 'chai';
import type { OpportunityEvent } from '../../src/aggregates/opportunity/index.js';
import { REJECTION_FLOOR, probabilityAfterRejection } from '../../src/aggregates/opportunity/offerRejection.js';
import { created, given, stages, toNegotiation, won } from './opportunityFixtures.js';

/** Seed 003's offers and orders events as the Opportunity decider meets them (given / when / then). */
const rejected = (offerId: string, fromProbability: number, probability: number, reason = 'Price too high'): OpportunityEvent => ({
  type: 'OpportunityOfferRejectedEvent',
  data: { opportunityId: 'OPP-100', offerId, reason, fromProbability, probability },
});

describe('Opportunity decider: offers and orders (seed 003)', () => {
  describe('an offer rejected', () => {
    it('halves the probability, rounded down, when the Offers context gives none', () => {
      given([created, toNegotiation]).when({ type: 'RecordOfferRejection', offerId: 'OF-1', reason: ' Price too high ' }).then([rejected('OF-1', 75, 37)]);
    });

    it('takes the probability the event carries, up or down', () => {
      given([created]).when({ type: 'RecordOfferRejection', offerId: 'OF-1', reason: 'Scope', probability: 40 }).then([rejected('OF-1', 25, 40, 'Scope')]);
      given([created]).when({ type: 'RecordOfferRejection', offerId: 'OF-1', reason: 'Scope', probability: 0 }).then([rejected('OF-1', 25, 0, 'Scope')]);
    });

    it('records each offer once: a redelivered rejection changes nothing, even after the deal closed', () => {
      const first = rejected('OF-1', 75, 37);
      given([created, toNegotiation, first]).when({ type: 'RecordOfferRejection', offerId: 'OF-1', reason: 'Price too high' }).then([]);
      given([created, toNegotiation, first, won]).when({ type: 'RecordOfferRejection', offerId: 'OF-1', reason: 'Price too high' }).then([]);
      // Another offer of the same deal halves again.
      given([created, toNegotiation, first]).when({ type: 'RecordOfferRejection', offerId: 'OF-2', reason: 'Again' }).then([rejected('OF-2', 37, 18, 'Again')]);
    });

    it('never goes below the floor, nor raises a probability already under it', () => {
      expect(probabilityAfterRejection(3, undefined)).to.equal(REJECTION_FLOOR);
      expect(probabilityAfterRejection(1, undefined)).to.equal(1);
      expect(probabilityAfterRejection(0, undefined)).to.equal(0);
      expect(probabilityAfterRejection(100, undefined)).to.equal(50);
    });

    it('is folded into the state: the next rejection halves the new probability', () => {
      const state = given([created, toNegotiation, rejected('OF-1', 75, 37)]).state;
      expect(state.exists && state.probability).to.equal(37);
      expect(state.exists && state.probabilityDrops).to.equal(1);
    });

    it('refuses a probability outside 0-100, a closed deal and a missing one', () => {
      given([created]).when({ type: 'RecordOfferRejection', offerId: 'OF-1', reason: 'x', probability: 101 }).thenFails('VALIDATION_ERROR', /0 to 100/);
      given([created]).when({ type: 'RecordOfferRejection', offerId: 'OF-1', reason: 'x', probability: 12.5 }).thenFails('VALIDATION_ERROR');
      given([created, toNegotiation, won]).when({ type: 'RecordOfferRejection', offerId: 'OF-9', reason: 'x' }).thenFails('CONFLICT', /closed/);
      given([]).when({ type: 'RecordOfferRejection', offerId: 'OF-1', reason: 'x' }).thenFails('NOT_FOUND');
    });
  });

  describe('won by an order', () => {
    const wonByOrder: OpportunityEvent = { type: 'OpportunityClosedWonEvent', data: { ...won.data, orderId: 'ORD-1' } };

    it('records the order on the closed-won event', () => {
      given([created, toNegotiation]).when({ type: 'CloseOpportunity', stages, outcome: 'won', orderId: 'ORD-1' }).then([wonByOrder]);
    });

    it('changes nothing on a deal already won, by this order or by hand', () => {
      given([created, toNegotiation, wonByOrder]).when({ type: 'CloseOpportunity', stages, outcome: 'won', orderId: 'ORD-1' }).then([]);
      given([created, toNegotiation, won]).when({ type: 'CloseOpportunity', stages, outcome: 'won', orderId: 'ORD-2' }).then([]);
    });

    it('still refuses a deal already won when no order is named, a lost deal, and a credit hold', () => {
      given([created, toNegotiation, won]).when({ type: 'CloseOpportunity', stages, outcome: 'won' }).thenFails('CONFLICT', /closed/);
      const lost: OpportunityEvent = {
        type: 'OpportunityClosedLostEvent',
        data: { ...won.data, toStage: 'CLOSED_LOST', reason: 'Budget' },
      };
      given([created, lost]).when({ type: 'CloseOpportunity', stages, outcome: 'won', orderId: 'ORD-1' }).thenFails('CONFLICT', /closed \(lost\)/);
      const err = given([created])
        .when({ type: 'CloseOpportunity', stages, outcome: 'won', orderId: 'ORD-1', creditHolds: new Set(['CUST-100']) })
        .thenFails('CONFLICT');
      expect(err.details.reason).to.equal('CREDIT_LIMIT_EXCEEDED');
    });
  });
});
