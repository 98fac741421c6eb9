import type { Knex } from 'knex';
import { CUSTOMER_PROFILE_EVENT_TYPES, type CustomerProfileEvent } from '../aggregates/customerProfile/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';

export const CUSTOMERS_TABLE = 'customers';
export const CUSTOMER_CONSENTS_TABLE = 'customer_consents';
export const CUSTOMER_MERGES_TABLE = 'customer_merges';

/**
 * The Customer 360 read models: one row per profile, the current consent per type, and the
 * merges (source → target) that let opportunity queries list a source's deals under its
 * golden record. Every write is an upsert or a keyed update, so a replayed event is harmless.
 */
export const customersProjection: Projection = {
  name: 'customers',
  // 2: firmographics and evaluated segments (migration 1300 expands the table first).
  version: 2,
  eventTypes: CUSTOMER_PROFILE_EVENT_TYPES,
  tables: [CUSTOMERS_TABLE, CUSTOMER_CONSENTS_TABLE, CUSTOMER_MERGES_TABLE],
  async handle(trx: Knex.Transaction, stored: StoredEvent) {
    const e = stored as StoredEvent<CustomerProfileEvent>;
    const key = { tenant_id: e.tenantId, customer_id: e.aggregateId };
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const customers = () => trx(CUSTOMERS_TABLE);
    const event = { type: e.eventType, data: e.payload } as CustomerProfileEvent;
    switch (event.type) {
      case 'CustomerProfileCreatedEvent': {
        const d = event.data;
        await customers()
          .insert({
            ...key,
            name: d.name,
            status: d.status,
            segment: d.segment,
            primary_contact_id: d.primaryContactId,
            personal_data: d.personalData === null ? null : JSON.stringify(d.personalData),
            industry: d.industry ?? null,
            employee_count: d.employeeCount ?? null,
            annual_revenue: d.annualRevenue ?? null,
            created_by: e.metadata.userId,
            created_at: e.timestamp,
            ...touch,
          })
          .onConflict(['tenant_id', 'customer_id'])
          .ignore();
        return;
      }
      case 'CustomerProfileUpdatedEvent': {
        const d = event.data;
        const changes: Record<string, unknown> = { ...touch };
        if (d.name !== undefined) changes.name = d.name;
        if (d.status !== undefined) changes.status = d.status;
        if (d.segment !== undefined) changes.segment = d.segment;
        if (d.primaryContactId !== undefined) changes.primary_contact_id = d.primaryContactId;
        if (d.personalData !== undefined) changes.personal_data = d.personalData === null ? null : JSON.stringify(d.personalData);
        if (d.industry !== undefined) changes.industry = d.industry;
        if (d.employeeCount !== undefined) changes.employee_count = d.employeeCount;
        if (d.annualRevenue !== undefined) changes.annual_revenue = d.annualRevenue;
        if (d.segments !== undefined) changes.segments = d.segments;
        await customers().where(key).update(changes);
        return;
      }
      case 'CustomerMergedIntoEvent': {
        const d = event.data;
        await customers().where(key).update({ merged_into: d.targetCustomerId, merge_reason: d.mergeReason, merged_at: e.timestamp, ...touch });
        await recordMerge(trx, e, d);
        return;
      }
      case 'CustomerMergedEvent':
        await customers().where(key).update(touch);
        // Either side's event may arrive first (the source's is written first, but a crash
        // can leave only it): the edge exists as soon as one of them does.
        await recordMerge(trx, e, event.data);
        return;
      case 'ConsentUpdatedEvent': {
        const d = event.data;
        await customers().where(key).update(touch);
        await trx(CUSTOMER_CONSENTS_TABLE)
          .insert({ ...key, consent_type: d.consentType, status: d.status, source: d.source, updated_by: e.metadata.userId, updated_at: e.timestamp })
          .onConflict(['tenant_id', 'customer_id', 'consent_type'])
          .merge(['status', 'source', 'updated_by', 'updated_at']);
        return;
      }
      case 'CustomerPersonalDataErasedEvent':
        // The scrub: the row forgets what the log can no longer open.
        await customers()
          .where(key)
          .update({ ...touch, ...(event.data.current ? { personal_data: null, personal_data_erased_at: event.data.erasedAt } : {}) });
        return;
    }
  },
};

async function recordMerge(
  trx: Knex.Transaction,
  e: StoredEvent,
  d: { sourceCustomerId: string; targetCustomerId: string; mergeReason: string },
): Promise<void> {
  await trx(CUSTOMER_MERGES_TABLE)
    .insert({
      tenant_id: e.tenantId,
      source_customer_id: d.sourceCustomerId,
      target_customer_id: d.targetCustomerId,
      merge_reason: d.mergeReason,
      merged_by: e.metadata.userId,
      merged_at: e.timestamp,
    })
    .onConflict(['tenant_id', 'source_customer_id'])
    .ignore();
}
