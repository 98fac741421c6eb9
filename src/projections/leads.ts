import { LEAD_EVENT_TYPES, type LeadEvent } from '../aggregates/lead/events.js';
import { rowProjection } from './projection.js';
import { type RowEffect, keyedRows } from './rows.js';

export const LEADS_TABLE = 'leads';

const leadRows = keyedRows({
  table: LEADS_TABLE,
  keyColumns: ['tenant_id', 'lead_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, lead_id: e.aggregateId }),
  // jsonb columns hold the values themselves (writeRows sends them as JSON).
  effect(e): RowEffect {
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const event = { type: e.eventType, data: e.payload } as LeadEvent;
    switch (event.type) {
      case 'LeadCreatedEvent': {
        const d = event.data;
        // Replays are harmless: the row already holds this event's effect.
        return {
          create: {
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
            metadata: d.metadata,
            owner_id: d.ownerId,
            territory_id: d.territoryId,
            assigned_at: d.createdAt,
            created_by: e.metadata.userId,
            created_at: e.timestamp,
            ...touch,
          },
        };
      }
      case 'LeadScoredEvent': {
        const d = event.data;
        return { change: { score: d.score, score_breakdown: d.breakdown, score_basis: d.basis, rubric_version: d.rubricVersion, scored_at: e.timestamp, ...touch } };
      }
      case 'LeadQualifiedEvent':
        return { change: { status: 'qualified', qualified_at: e.timestamp, disqualified_reason: null, ...touch } };
      case 'LeadDisqualifiedEvent':
        return { change: { status: 'unqualified', qualified_at: null, disqualified_reason: event.data.reason, ...touch } };
      case 'LeadAssignedEvent': {
        const d = event.data;
        return { change: { owner_id: d.ownerId, territory_id: d.territoryId, assignment_reason: d.reason, assigned_at: d.assignedAt, ...touch } };
      }
      case 'LeadMarketingSyncedEvent': {
        const d = event.data;
        return { change: { marketing_score: d.marketingScore, campaign_id: d.campaignId, attribution: d.attribution ? d.attribution : null, ...touch } };
      }
      case 'LeadConvertedEvent': {
        const d = event.data;
        return { change: { status: 'converted', opportunity_id: d.opportunityId, customer_id: d.customerId, converted_at: d.convertedAt, ...touch } };
      }
      case 'LeadPersonalDataErasedEvent':
        // The scrub: the row forgets what the log can no longer open.
        return { change: { first_name: null, last_name: null, email: null, phone: null, personal_data_erased_at: event.data.erasedAt, ...touch } };
    }
  },
});

/** The leads read model: one row per lead, what GET /leads and its filters need. */
export const leadsProjection = rowProjection({ name: 'leads', version: 1, eventTypes: LEAD_EVENT_TYPES, tables: [LEADS_TABLE] }, leadRows);
