import type { Knex } from 'knex';
import { ACTIVITY_EVENT_TYPES, type ActivityEvent } from '../aggregates/activity/events.js';
import type { RelatedEntity } from '../aggregates/activity/related.js';
import { CUSTOMER_PROFILE_EVENT_TYPES, type CustomerProfileEvent } from '../aggregates/customerProfile/events.js';
import { isPush } from '../aggregates/opportunity/dealScore.js';
import { OPPORTUNITY_EVENT_TYPES, type OpportunityEvent } from '../aggregates/opportunity/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';
import { type Row, type RowEffect, type RowModel, applyRows, keyedRows, planRows } from './rows.js';
import type { KnownRows } from './knownRows.js';
import type { Write } from './writes.js';

export const SEGMENT_CUSTOMER_FACTS = 'segment_customer_facts';
export const SEGMENT_DEAL_FACTS = 'segment_deal_facts';
export const SEGMENT_ACTIVITY_FACTS = 'segment_activity_facts';

/**
 * What segment membership is decided on (aggregates/segmentation/membership.ts), kept apart
 * from the other read models so that it rebuilds from the log alone: per customer its status,
 * firmographics, creation time and current segments; per deal its customer, whether it is open,
 * its expected close date and whether that date was ever pushed later; per activity what it is
 * about and when it was completed (null while planned, reopened or cancelled). Row models
 * (rows.ts), so a replayed event is harmless.
 */
function relation(r: RelatedEntity): { customer_id: string | null; opportunity_id: string | null } {
  return { customer_id: r.type === 'customer' ? r.id : null, opportunity_id: r.type === 'opportunity' ? r.id : null };
}

const customerFacts = keyedRows({
  table: SEGMENT_CUSTOMER_FACTS,
  keyColumns: ['tenant_id', 'customer_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, customer_id: e.aggregateId }),
  effect(e): RowEffect {
    const event = { type: e.eventType, data: e.payload } as CustomerProfileEvent;
    switch (event.type) {
      case 'CustomerProfileCreatedEvent': {
        const d = event.data;
        return { create: { status: d.status, industry: d.industry ?? null, employee_count: d.employeeCount ?? null, annual_revenue: d.annualRevenue ?? null, since: e.timestamp } };
      }
      case 'CustomerProfileUpdatedEvent': {
        const d = event.data;
        const changes: Record<string, unknown> = {};
        if (d.status !== undefined) changes.status = d.status;
        if (d.industry !== undefined) changes.industry = d.industry;
        if (d.employeeCount !== undefined) changes.employee_count = d.employeeCount;
        if (d.annualRevenue !== undefined) changes.annual_revenue = d.annualRevenue;
        if (d.segments !== undefined) changes.segments = d.segments;
        return Object.keys(changes).length ? { change: changes } : undefined;
      }
      case 'CustomerMergedIntoEvent':
        return { change: { merged_into: event.data.targetCustomerId } };
      default:
        return undefined;
    }
  },
});

/** A deal's facts after an event, as a pure reducer (rows.ts): a batch of deal events is two statements. */
function reduceDeal(row: Row | undefined, e: StoredEvent): Row | undefined {
  const event = { type: e.eventType, data: e.payload } as OpportunityEvent;
  switch (event.type) {
    case 'OpportunityCreatedEvent':
      // A replayed creation finds its row and changes nothing.
      if (row) return undefined;
      return {
        tenant_id: e.tenantId,
        opportunity_id: e.aggregateId,
        customer_id: event.data.customerId,
        open: true,
        expected_close_date: event.data.expectedCloseDate,
        pushed: false,
      };
    case 'OpportunityUpdatedEvent': {
      const to = event.data.expectedCloseDate;
      if (to === undefined || !row) return undefined;
      return { ...row, expected_close_date: to, pushed: Boolean(row.pushed) || isPush(row.expected_close_date as string | null, to) };
    }
    case 'OpportunityClosedWonEvent':
    case 'OpportunityClosedLostEvent':
      return row && { ...row, open: false };
    default:
      return undefined;
  }
}

const dealFacts: RowModel = {
  table: SEGMENT_DEAL_FACTS,
  keyColumns: ['tenant_id', 'opportunity_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, opportunity_id: e.aggregateId }),
  reduce: reduceDeal,
};

const activityFacts = keyedRows({
  table: SEGMENT_ACTIVITY_FACTS,
  keyColumns: ['tenant_id', 'activity_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, activity_id: e.aggregateId }),
  effect(e): RowEffect {
    const event = { type: e.eventType, data: e.payload } as ActivityEvent;
    switch (event.type) {
      case 'ActivityCreatedEvent':
        return { create: { ...relation(event.data.relatedTo), completed_at: event.data.status === 'completed' ? event.data.completedDate : null } };
      case 'ActivityUpdatedEvent':
        return event.data.relatedTo ? { change: relation(event.data.relatedTo) } : undefined;
      case 'ActivityCompletedEvent':
        return { change: { completed_at: event.data.completedDate } };
      case 'ActivityReopenedEvent':
      case 'ActivityCancelledEvent':
        return { change: { completed_at: null } };
      default:
        return undefined;
    }
  },
});

const CUSTOMER_TYPES = new Set<string>(CUSTOMER_PROFILE_EVENT_TYPES);
const DEAL_TYPES = new Set<string>(OPPORTUNITY_EVENT_TYPES);

/** Each kind writes its own table and reads no other: a batch is each kind's events at once. */
function byKind(events: readonly StoredEvent[]): [RowModel, StoredEvent[]][] {
  const customers: StoredEvent[] = [];
  const deals: StoredEvent[] = [];
  const activities: StoredEvent[] = [];
  for (const e of events) (CUSTOMER_TYPES.has(e.eventType) ? customers : DEAL_TYPES.has(e.eventType) ? deals : activities).push(e);
  return [[customerFacts, customers], [dealFacts, deals], [activityFacts, activities]];
}

async function applyBatch(trx: Knex.Transaction, events: readonly StoredEvent[], known?: KnownRows): Promise<void> {
  for (const [model, of] of byKind(events)) await applyRows(trx, model, of, known);
}

/** Live: the three tables' writes, and the checkpoint's move, as one statement (writes.ts). */
async function plan(q: Knex, events: readonly StoredEvent[], known?: KnownRows): Promise<Write[] | undefined> {
  const writes: Write[] = [];
  for (const [model, of] of byKind(events)) {
    const planned = await planRows(q, model, of, known);
    if (!planned) return undefined;
    writes.push(...planned);
  }
  return writes;
}

export const segmentFactsProjection: Projection = {
  name: 'segment-facts',
  version: 1,
  eventTypes: [...CUSTOMER_PROFILE_EVENT_TYPES, ...OPPORTUNITY_EVENT_TYPES, ...ACTIVITY_EVENT_TYPES],
  tables: [SEGMENT_CUSTOMER_FACTS, SEGMENT_DEAL_FACTS, SEGMENT_ACTIVITY_FACTS],
  handle: (trx, e) => applyBatch(trx, [e]),
  handleBatch: applyBatch,
  plan,
};
