import type { OpportunityEvent } from '../aggregates/opportunity/events.js';
import { OPPORTUNITY_EVENT_TYPES } from '../aggregates/opportunity/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { dealScore, decisionCriteriaKnown, isPush } from '../aggregates/opportunity/dealScore.js';
import { toBig } from '../shared/money.js';
import { type Row, type RowModel } from './rows.js';
import { rowProjection } from './projection.js';
import { ERASED_FORM } from '../privacy/units.js';

export const OPPORTUNITIES_TABLE = 'opportunities';

/** The row with its deal score recomputed from the row's own facts. */
const withDealScore = (row: Row): Row => ({ ...row, deal_score: dealScoreOfRow(row) });

/** The deal score (aggregates/opportunity/dealScore.ts) of a row: the same facts the decider keeps. */
export function dealScoreOfRow(row: Row): number {
  const products = row.products;
  return dealScore({
    status: row.status as 'open' | 'won' | 'lost',
    amountPositive: toBig(String(row.amount)).gt(0),
    hasAccount: Boolean(row.customer_id),
    probability: Number(row.probability),
    hasExpectedCloseDate: row.expected_close_date !== null && row.expected_close_date !== undefined,
    productCount: Array.isArray(products) ? products.length : 0,
    fromLead: Boolean(row.lead_id),
    decisionCriteriaKnown: decisionCriteriaKnown(row.metadata),
    hasNextStep: row.next_step !== null && row.next_step !== undefined,
    closeDatePushes: Number(row.close_date_pushes ?? 0),
    probabilityDrops: Number(row.probability_drops ?? 0),
  });
}

/** The row's facts after an event: the whole read-model rule for opportunities, as a pure function. */
function reduceFacts(row: Row | undefined, stored: StoredEvent): Row | undefined {
  const e = stored as StoredEvent<OpportunityEvent>;
  const event = { type: e.eventType, data: e.payload } as OpportunityEvent;
  const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
  if (event.type === 'OpportunityCreatedEvent') {
    // A replayed creation finds its row and changes nothing.
    if (row) return undefined;
    const d = event.data;
    return {
      tenant_id: e.tenantId,
      opportunity_id: e.aggregateId,
      name: d.name,
      customer_id: d.customerId,
      lead_id: d.leadId,
      territory_id: d.territoryId ?? null,
      owner_id: d.ownerId,
      stage: d.stage,
      status: 'open',
      probability: d.probability,
      amount: d.amount,
      currency: d.currency,
      expected_close_date: d.expectedCloseDate,
      close_date: null,
      lost_reason: null,
      next_step: null,
      products: d.products,
      metadata: d.metadata,
      close_date_pushes: 0,
      probability_drops: 0,
      created_by: e.metadata.userId,
      created_at: e.timestamp,
      ...touch,
    };
  }
  if (!row) return undefined;
  switch (event.type) {
    case 'OpportunityStageChangedEvent':
      return {
        ...row,
        stage: event.data.toStage,
        probability: event.data.probability,
        next_step: event.data.nextStep,
        probability_drops: Number(row.probability_drops ?? 0) + (event.data.probability < Number(row.probability) ? 1 : 0),
        ...touch,
      };
    case 'OpportunityClosedWonEvent':
      return { ...row, stage: event.data.toStage, status: 'won', probability: 100, close_date: event.data.closeDate, lost_reason: null, ...touch };
    case 'OpportunityClosedLostEvent':
      return { ...row, stage: event.data.toStage, status: 'lost', probability: 0, close_date: event.data.closeDate, lost_reason: event.data.reason, ...touch };
    case 'OpportunityPricingSnapshotAttachedEvent': {
      const d = event.data;
      return { ...row, quote_id: d.quoteId, quote_amount: d.totalAmount, quote_currency: d.currency, quote_valid_until: d.validUntil, ...touch };
    }
    case 'OpportunityOfferRejectedEvent':
      return {
        ...row,
        probability: event.data.probability,
        probability_drops: Number(row.probability_drops ?? 0) + (event.data.probability < Number(row.probability) ? 1 : 0),
        ...touch,
      };
    case 'OpportunityReassignedEvent':
      return { ...row, owner_id: event.data.toOwnerId, ...touch };
    case 'OpportunityCommercialTermsSetEvent': {
      const { opportunityId: _id, personalData, ...terms } = event.data;
      return { ...row, commercial_terms: { ...terms, contacts: personalData.contacts }, ...touch };
    }
    case 'OpportunityContactsErasedEvent': {
      // The scrub: the row forgets what the log can no longer open.
      const terms = row.commercial_terms as { contacts?: { type: string }[] } | null;
      if (!terms?.contacts) return { ...row, ...touch };
      const erased = new Set(event.data.contactIndexes);
      const contacts = terms.contacts.map((c, i) => (erased.has(i) ? { type: c.type, ...ERASED_FORM.contact } : c));
      return { ...row, commercial_terms: { ...terms, contacts }, ...touch };
    }
    case 'OpportunityTerritoryAssignedEvent':
      return { ...row, territory_id: event.data.toTerritoryId, ...touch };
    case 'OpportunityUpdatedEvent': {
      const d = event.data;
      return {
        ...row,
        close_date_pushes: Number(row.close_date_pushes ?? 0) + (isPush(row.expected_close_date as string | null, d.expectedCloseDate) ? 1 : 0),
        probability_drops: Number(row.probability_drops ?? 0) + (d.probability !== undefined && d.probability < Number(row.probability) ? 1 : 0),
        ...(d.amount !== undefined ? { amount: d.amount } : {}),
        ...(d.currency !== undefined ? { currency: d.currency } : {}),
        ...(d.expectedCloseDate !== undefined ? { expected_close_date: d.expectedCloseDate } : {}),
        ...(d.probability !== undefined ? { probability: d.probability } : {}),
        ...(d.nextStep !== undefined ? { next_step: d.nextStep } : {}),
        ...touch,
      };
    }
  }
}

const model: RowModel<Row> = {
  table: OPPORTUNITIES_TABLE,
  keyColumns: ['tenant_id', 'opportunity_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, opportunity_id: e.aggregateId }),
  reduce: reduceFacts,
  derive: withDealScore,
};

/** The opportunities read model: one row per opportunity, what the list and detail queries need. */
export const opportunitiesProjection = rowProjection(
  // 2: deal_score (a new version rebuilds the model beside the serving one, then swaps it in).
  { name: 'opportunities', version: 2, eventTypes: OPPORTUNITY_EVENT_TYPES, tables: [OPPORTUNITIES_TABLE] },
  model,
);
