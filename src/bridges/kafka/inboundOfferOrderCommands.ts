import type { AppContext } from '../../commands/context.js';
import { approveOffer, rejectOffer } from '../../commands/offers.js';
import { recordOrder } from '../../commands/orders.js';
import { inboundCaller, refusedAsRejected, requireId, requireMoney, requireUserId } from './inboundCaller.js';
import type { InboundCommandHandlers } from './inboundHandlers.js';

/**
 * Seed 003's offers and orders events, through the use cases in src/commands (offers.ts,
 * orders.ts) as the system actor. Each use case is idempotent by itself; a command the domain
 * refuses (closed deal, a move the tenant's stages forbid, an order naming neither deal nor
 * customer) is dead-lettered with its reason.
 */
export function offerAndOrderCommands(app: AppContext): Pick<InboundCommandHandlers, 'OfferApprovedEvent' | 'OfferRejectedEvent' | 'OrderCreatedEvent'> {
  return {
    // OfferApproved -> the deal moves to negotiation (already there: nothing changes).
    async OfferApprovedEvent(_trx, r, ctx) {
      await refusedAsRejected(() => approveOffer(app, inboundCaller(ctx), { opportunityId: requireId(r.opportunityId) }));
    },

    // OfferRejected -> the deal's probability drops, once per offer.
    async OfferRejectedEvent(_trx, r, ctx) {
      const input = { opportunityId: requireId(r.opportunityId), offerId: r.offerId, reason: r.reason };
      await refusedAsRejected(() => rejectOffer(app, inboundCaller(ctx), r.probability === null ? input : { ...input, probability: r.probability }));
    },

    // OrderCreated -> the deal closed as won, and a follow-up task (one per order).
    async OrderCreatedEvent(_trx, r, ctx) {
      const { amount: totalAmount, currency } = requireMoney('totalAmount', r.totalAmount, r.currency);
      await refusedAsRejected(() =>
        recordOrder(app, inboundCaller(ctx), {
          orderId: r.orderId,
          ...(r.opportunityId !== null ? { opportunityId: requireId(r.opportunityId) } : {}),
          ...(r.customerId !== null ? { customerId: requireId(r.customerId) } : {}),
          ...(r.salesRepId !== null ? { salesRepId: requireUserId(r.salesRepId) } : {}),
          totalAmount,
          currency,
          createdAt: new Date(r.createdAt),
          followUpRequired: r.followUpRequired,
        }),
      );
    },
  };
}
