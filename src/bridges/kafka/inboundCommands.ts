import { customerProfileAggregate } from '../../aggregates/customerProfile/index.js';
import type { PersonalData } from '../../aggregates/customerProfile/events.js';
import { conversionIds } from '../../aggregates/lead/decider.js';
import { opportunityAggregate } from '../../aggregates/opportunity/index.js';
import { type AppContext, on } from '../../commands/context.js';
import { syncLeadFromMarketing } from '../../commands/leads.js';
import { marketingLeadInput } from '../../http/requests/marketingLead.js';
import { isCalendarDate } from '../../shared/dates.js';
import { inboundCaller, refusedAsRejected, requireId, requireMoney } from './inboundCaller.js';
import type { InboundHandler } from './inboundHandler.js';
import type { InboundCommandHandlers } from './inboundHandlers.js';
import { offerAndOrderCommands } from './inboundOfferOrderCommands.js';
import type { LeadCreatedRecord } from './records.js';

/**
 * Consumed events that are commands on our aggregates. They append to the event store, outside
 * the inbox transaction, so each is idempotent by itself: a quote is attached once per quote
 * id, and a lead's initial profile has an id derived from the lead (the one its conversion
 * would use), so a redelivery finds it already there. The offers and orders events are in
 * inboundOfferOrderCommands.ts.
 */
export function inboundCommands(app: AppContext): { commands: InboundCommandHandlers; onLeadCreated: InboundHandler<LeadCreatedRecord> } {
  return {
    commands: {
      // QuoteCreatedEvent (Sales) -> attach the pricing snapshot to the opportunity.
      async QuoteCreatedEvent(_trx, r, ctx) {
        const { amount: totalAmount, currency } = requireMoney('totalAmount', r.totalAmount, r.currency);
        await refusedAsRejected(() =>
          app.execute(opportunityAggregate, on(inboundCaller(ctx), requireId(r.opportunityId)), {
            type: 'AttachPricingSnapshot',
            quoteId: r.quoteId,
            totalAmount,
            currency,
            validUntil: isCalendarDate(r.validUntil) ? r.validUntil : null,
            sourceEventId: ctx.eventId,
          }),
        );
      },
      ...offerAndOrderCommands(app),
      // Marketing's lead.qualified (seed 004) -> the lead created or synced: score, campaign, attribution.
      async MarketingLeadQualifiedEvent(_trx, r, ctx) {
        const leadId = requireId(r.payload.lead_id ?? '');
        await refusedAsRejected(() => syncLeadFromMarketing(app, inboundCaller(ctx), { ...marketingLeadInput(leadId, r.payload), sourceEventId: ctx.eventId }));
      },
    },

    // LeadCreatedEvent (Sales) -> the initial customer profile (seed 001), a prospect.
    async onLeadCreated(_trx, r, ctx) {
      const { customerId } = conversionIds(r.leadId);
      const p = r.personalData;
      const personalData: PersonalData | undefined = p
        ? {
            ...(p.firstName ? { firstName: p.firstName } : {}),
            ...(p.lastName ? { lastName: p.lastName } : {}),
            ...(p.email ? { email: p.email } : {}),
            ...(p.phone ? { phone: p.phone } : {}),
          }
        : undefined;
      await refusedAsRejected(
        () =>
          app.execute(customerProfileAggregate, on(inboundCaller(ctx), requireId(customerId)), {
            type: 'CreateCustomerProfile',
            customerId,
            name: r.companyName?.trim() || 'Individual customer',
            status: 'PROSPECT',
            ...(personalData && Object.keys(personalData).length ? { personalData } : {}),
          }),
        (e) => e.code === 'CONFLICT',
      );
    },
  };
}
