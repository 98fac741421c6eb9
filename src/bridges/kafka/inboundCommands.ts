import { systemAccess } from '../../access/access.js';
import { customerProfileAggregate } from '../../aggregates/customerProfile/index.js';
import type { PersonalData } from '../../aggregates/customerProfile/events.js';
import { conversionIds } from '../../aggregates/lead/decider.js';
import { opportunityAggregate } from '../../aggregates/opportunity/index.js';
import type { CommandEnvelope, ExecuteCommand } from '../../commands/handler.js';
import { AGGREGATE_ID_PATTERN } from '../../eventstore/streams.js';
import { DomainError } from '../../shared/errors.js';
import { isCalendarDate } from '../../shared/dates.js';
import { isCurrency, parseAmount } from '../../shared/money.js';
import { type InboundContext, type InboundHandler, RejectedMessageError } from './inboundHandler.js';
import type { LeadCreatedRecord, QuoteCreatedRecord } from './records.js';

/**
 * Consumed events that are commands on our aggregates. They append to the event store, outside
 * the inbox transaction, so each is idempotent by itself: a quote is attached once per quote
 * id, and a lead's initial profile has an id derived from the lead (the one its conversion
 * would use), so a redelivery finds it already there. A command the domain refuses is a
 * rejected message (dead-letter topic with the reason), never a retry loop.
 */
export const INBOUND_ACTOR = 'system:kafka-inbound';

function envelopeOf(ctx: InboundContext, aggregateId: string): CommandEnvelope {
  if (!AGGREGATE_ID_PATTERN.test(aggregateId)) throw new RejectedMessageError(`"${aggregateId}" is not a valid id`);
  return {
    access: systemAccess(ctx.tenantId, INBOUND_ACTOR),
    aggregateId,
    correlationId: ctx.headers.correlationId || ctx.eventId,
    causationId: ctx.eventId,
  };
}

async function refusedAsRejected(run: () => Promise<unknown>, alreadyDone?: (e: DomainError) => boolean): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof DomainError)) throw err; // transient: retried in place
    if (alreadyDone?.(err)) return;
    throw new RejectedMessageError(`${err.code}: ${err.message}`);
  }
}

export function inboundCommands(execute: ExecuteCommand): {
  onQuoteCreated: InboundHandler<QuoteCreatedRecord>;
  onLeadCreated: InboundHandler<LeadCreatedRecord>;
} {
  return {
    // QuoteCreatedEvent (Sales) -> attach the pricing snapshot to the opportunity.
    async onQuoteCreated(_trx, r, ctx) {
      const totalAmount = parseAmount(r.totalAmount);
      if (totalAmount === undefined) throw new RejectedMessageError(`totalAmount "${r.totalAmount}" is not a valid amount`);
      if (!isCurrency(r.currency)) throw new RejectedMessageError(`currency "${r.currency}" is not ISO 4217`);
      await refusedAsRejected(() =>
        execute(opportunityAggregate, envelopeOf(ctx, r.opportunityId), {
          type: 'AttachPricingSnapshot',
          quoteId: r.quoteId,
          totalAmount,
          currency: r.currency,
          validUntil: isCalendarDate(r.validUntil) ? r.validUntil : null,
          sourceEventId: ctx.eventId,
        }),
      );
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
          execute(customerProfileAggregate, envelopeOf(ctx, customerId), {
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
