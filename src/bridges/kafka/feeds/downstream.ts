import { customerProfileAggregate } from '../../../aggregates/customerProfile/index.js';
import type { ForecastSnapshotCreated } from '../../../aggregates/forecast/events.js';
import { type OpportunityClosedWon, type OpportunityCreated, opportunityAggregate } from '../../../aggregates/opportunity/index.js';
import { loadAggregate } from '../../../commands/load.js';
import type { StoredEvent } from '../../../eventstore/envelope.js';
import type { EventStore } from '../../../eventstore/port.js';
import { snakeKeys } from '../../../shared/case.js';
import type { FeedMessage } from './envelope.js';

/**
 * Seed 004's downstream feeds. Each message is a function of the log up to its event: a won deal
 * is read as it stood when it closed (its stream up to that revision), so a resend after a crash
 * or a replay says exactly what the first send said.
 *
 * What the operations feed carries: the contacts given with the deal's commercial terms (name,
 * email, phone: personal data, from the event's personal-data part) and the customer's company
 * name. The billing feed carries no personal data: its owner is a user id (names and emails of
 * users live in the identity provider, not here).
 */
export async function closedWonFeeds(store: EventStore, e: StoredEvent<OpportunityClosedWon>): Promise<FeedMessage[]> {
  const deal = await loadAggregate(store, opportunityAggregate, e.tenantId, e.aggregateId, { upToRevision: e.revision });
  const s = deal.state;
  if (!s.exists) return [];
  const created = deal.events.find((x): x is StoredEvent<OpportunityCreated> => x.eventType === 'OpportunityCreatedEvent');
  const terms = s.commercialTerms;
  // Without terms, the products the deal was created with, undiscounted.
  const products = terms
    ? terms.products
    : (created?.payload.products ?? []).map((p) => ({ ...p, productName: null, discount: '0', configuration: {} }));
  const key = e.payload.opportunityId;
  const billing: FeedMessage = {
    feed: 'SALES_CONTRACTS',
    eventType: 'opportunity.closed_won',
    key,
    payload: {
      opportunity_id: e.payload.opportunityId,
      account_id: e.payload.customerId,
      amount: e.payload.amount,
      currency: e.payload.currency,
      close_date: e.payload.closeDate,
      contract_term: terms?.contractTermMonths ?? null,
      start_date: terms?.startDate ?? null,
      payment_terms: terms?.paymentTerms ?? null,
      billing_frequency: terms?.billingFrequency ?? null,
      products: products.map((p) => ({ product_id: p.productId, quantity: p.quantity, unit_price: p.unitPrice, discount: p.discount })),
      owner: { user_id: s.ownerId, name: null, email: null },
    },
  };
  const customer = await loadAggregate(store, customerProfileAggregate, e.tenantId, e.payload.customerId);
  const onboarding: FeedMessage = {
    feed: 'SALES_ONBOARDING',
    eventType: 'onboarding.trigger',
    key,
    payload: {
      opportunity_id: e.payload.opportunityId,
      account_id: e.payload.customerId,
      account_name: customer.state.exists ? customer.state.name : null,
      contract_start_date: terms?.startDate ?? null,
      products: products.map((p) => ({ product_id: p.productId, product_name: p.productName, quantity: p.quantity, configuration: p.configuration })),
      contacts: s.contacts.map((c) => ({ type: c.type, name: c.name, email: c.email, phone: c.phone })),
      special_requirements: terms?.specialRequirements ?? null,
      priority: terms?.onboardingPriority ?? 'normal',
    },
  };
  return [billing, onboarding];
}

/** Finance: every forecast snapshot, the scheduled and the real-time ones alike (seed 004): its figures in snake_case. */
export function forecastUpdated(e: StoredEvent<ForecastSnapshotCreated>): FeedMessage {
  const { trigger: _trigger, ...figures } = e.payload;
  return { feed: 'SALES_FORECASTS', eventType: 'forecast.updated', key: figures.forecastId, payload: snakeKeys(figures) as Record<string, unknown> };
}
