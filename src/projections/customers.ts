import type { Knex } from 'knex';
import { CUSTOMER_PROFILE_EVENT_TYPES, type CustomerProfileEvent } from '../aggregates/customerProfile/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';
import type { KnownRows } from './knownRows.js';
import { type RowEffect, applyRows, keyedRows } from './rows.js';

export const CUSTOMERS_TABLE = 'customers';
export const CUSTOMER_CONSENTS_TABLE = 'customer_consents';
export const CUSTOMER_MERGES_TABLE = 'customer_merges';

const eventOf = (e: StoredEvent) => ({ type: e.eventType, data: e.payload }) as CustomerProfileEvent;

/** One row per profile; jsonb and text[] columns hold the values themselves. */
const customerRows = keyedRows({
  table: CUSTOMERS_TABLE,
  keyColumns: ['tenant_id', 'customer_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, customer_id: e.aggregateId }),
  effect(e): RowEffect {
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const event = eventOf(e);
    switch (event.type) {
      case 'CustomerProfileCreatedEvent': {
        const d = event.data;
        return {
          create: {
            name: d.name,
            status: d.status,
            segment: d.segment,
            primary_contact_id: d.primaryContactId,
            personal_data: d.personalData,
            industry: d.industry ?? null,
            employee_count: d.employeeCount ?? null,
            annual_revenue: d.annualRevenue ?? null,
            created_by: e.metadata.userId,
            created_at: e.timestamp,
            ...touch,
          },
        };
      }
      case 'CustomerProfileUpdatedEvent': {
        const d = event.data;
        const changes: Record<string, unknown> = { ...touch };
        if (d.name !== undefined) changes.name = d.name;
        if (d.status !== undefined) changes.status = d.status;
        if (d.segment !== undefined) changes.segment = d.segment;
        if (d.primaryContactId !== undefined) changes.primary_contact_id = d.primaryContactId;
        if (d.personalData !== undefined) changes.personal_data = d.personalData;
        if (d.industry !== undefined) changes.industry = d.industry;
        if (d.employeeCount !== undefined) changes.employee_count = d.employeeCount;
        if (d.annualRevenue !== undefined) changes.annual_revenue = d.annualRevenue;
        if (d.segments !== undefined) changes.segments = d.segments;
        return { change: changes };
      }
      case 'CustomerMergedIntoEvent':
        return { change: { merged_into: event.data.targetCustomerId, merge_reason: event.data.mergeReason, merged_at: e.timestamp, ...touch } };
      case 'CustomerMergedEvent':
      case 'ConsentUpdatedEvent':
        return { change: touch };
      case 'CustomerPersonalDataErasedEvent':
        // The scrub: the row forgets what the log can no longer open.
        return { change: { ...touch, ...(event.data.current ? { personal_data: null, personal_data_erased_at: event.data.erasedAt } : {}) } };
    }
  },
});

/** The current consent per type. */
const consentRows = keyedRows({
  table: CUSTOMER_CONSENTS_TABLE,
  keyColumns: ['tenant_id', 'customer_id', 'consent_type'],
  keyOf: (e) => ({ tenant_id: e.tenantId, customer_id: e.aggregateId, consent_type: (e.payload as { consentType?: string }).consentType }),
  effect(e): RowEffect {
    const event = eventOf(e);
    if (event.type !== 'ConsentUpdatedEvent') return undefined;
    const d = event.data;
    return { upsert: { status: d.status, source: d.source, updated_by: e.metadata.userId, updated_at: e.timestamp } };
  },
});

/**
 * The merge edges (source → target). Either side's event may arrive first (the source's is
 * written first, but a crash can leave only it): the edge exists as soon as one of them does.
 */
const mergeRows = keyedRows({
  table: CUSTOMER_MERGES_TABLE,
  keyColumns: ['tenant_id', 'source_customer_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, source_customer_id: (e.payload as { sourceCustomerId?: string }).sourceCustomerId }),
  effect(e): RowEffect {
    const event = eventOf(e);
    if (event.type !== 'CustomerMergedEvent' && event.type !== 'CustomerMergedIntoEvent') return undefined;
    const d = event.data;
    return { create: { target_customer_id: d.targetCustomerId, merge_reason: d.mergeReason, merged_by: e.metadata.userId, merged_at: e.timestamp } };
  },
});

const CONSENT = new Set(['ConsentUpdatedEvent']);
const MERGE = new Set(['CustomerMergedEvent', 'CustomerMergedIntoEvent']);

/** The three tables are written apart and none is read by another's rule: a batch is each model's events at once. */
async function applyBatch(trx: Knex.Transaction, events: readonly StoredEvent[], known?: KnownRows): Promise<void> {
  await applyRows(trx, customerRows, events, known);
  await applyRows(trx, consentRows, events.filter((e) => CONSENT.has(e.eventType)), known);
  await applyRows(trx, mergeRows, events.filter((e) => MERGE.has(e.eventType)), known);
}

/**
 * The Customer 360 read models: one row per profile, the current consent per type, and the
 * merges (source → target) that let opportunity queries list a source's deals under its
 * golden record. Row models (rows.ts), so a replayed event is harmless.
 */
export const customersProjection: Projection = {
  name: 'customers',
  // 2: firmographics and evaluated segments (migration 1300 expands the table first).
  version: 2,
  eventTypes: CUSTOMER_PROFILE_EVENT_TYPES,
  tables: [CUSTOMERS_TABLE, CUSTOMER_CONSENTS_TABLE, CUSTOMER_MERGES_TABLE],
  handle: (trx, e) => applyBatch(trx, [e]),
  handleBatch: applyBatch,
};
