import type { Knex } from 'knex';
import { LEAD_EVENT_TYPES, type LeadEvent } from '../aggregates/lead/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';

export const LEADS_TABLE = 'leads';

/** The leads read model: one row per lead, what GET /leads and its filters need. */
export const leadsProjection: Projection = {
  name: 'leads',
  version: 1,
  eventTypes: LEAD_EVENT_TYPES,
  tables: [LEADS_TABLE],
  async handle(trx: Knex.Transaction, stored: StoredEvent) {
    const e = stored as StoredEvent<LeadEvent>;
    const key = { tenant_id: e.tenantId, lead_id: e.aggregateId };
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const table = () => trx(LEADS_TABLE);
    const event = { type: e.eventType, data: e.payload } as LeadEvent;
    switch (event.type) {
      case 'LeadCreatedEvent': {
        const d = event.data;
        await table()
          .insert({
            ...key,
            status: 'new',
            source: d.source,
            first_name: d.personalData.firstName,
            last_name: d.personalData.lastName,
            email: d.personalData.email,
            phone: d.personalData.phone,
            company: d.companyName,
            title: d.title,
            industry: d.industry,
            employee_count: d.employeeCount,
            annual_revenue: d.annualRevenue,
            currency: d.currency,
            marketing_score: d.marketingScore,
            metadata: JSON.stringify(d.metadata),
            owner_id: d.ownerId,
            territory_id: d.territoryId,
            assigned_at: d.createdAt,
            created_by: e.metadata.userId,
            created_at: e.timestamp,
            ...touch,
          })
          // Replays are harmless: the row already holds this event's effect.
          .onConflict(['tenant_id', 'lead_id'])
          .ignore();
        return;
      }
      case 'LeadScoredEvent': {
        const d = event.data;
        await table()
          .where(key)
          .update({
            score: d.score,
            score_breakdown: JSON.stringify(d.breakdown),
            score_basis: JSON.stringify(d.basis),
            rubric_version: d.rubricVersion,
            scored_at: e.timestamp,
            ...touch,
          });
        return;
      }
      case 'LeadQualifiedEvent':
        await table().where(key).update({ status: 'qualified', qualified_at: e.timestamp, disqualified_reason: null, ...touch });
        return;
      case 'LeadDisqualifiedEvent':
        await table().where(key).update({ status: 'unqualified', qualified_at: null, disqualified_reason: event.data.reason, ...touch });
        return;
      case 'LeadAssignedEvent': {
        const d = event.data;
        await table()
          .where(key)
          .update({ owner_id: d.ownerId, territory_id: d.territoryId, assignment_reason: d.reason, assigned_at: d.assignedAt, ...touch });
        return;
      }
      case 'LeadMarketingSyncedEvent': {
        const d = event.data;
        await table()
          .where(key)
          .update({ marketing_score: d.marketingScore, campaign_id: d.campaignId, attribution: d.attribution ? JSON.stringify(d.attribution) : null, ...touch });
        return;
      }
      case 'LeadConvertedEvent': {
        const d = event.data;
        await table()
          .where(key)
          .update({ status: 'converted', opportunity_id: d.opportunityId, customer_id: d.customerId, converted_at: d.convertedAt, ...touch });
        return;
      }
      case 'LeadPersonalDataErasedEvent':
        // The scrub: the row forgets what the log can no longer open.
        await table()
          .where(key)
          .update({ first_name: null, last_name: null, email: null, phone: null, personal_data_erased_at: event.data.erasedAt, ...touch });
        return;
    }
  },
};
