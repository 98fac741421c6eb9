import type { Knex } from 'knex';
import type { OpportunityEvent } from '../aggregates/opportunity/events.js';
import { OPPORTUNITY_EVENT_TYPES } from '../aggregates/opportunity/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './runner.js';

export const OPPORTUNITIES_TABLE = 'opportunities';

/** The opportunities read model: one row per opportunity, what the list and detail queries need. */
export const opportunitiesProjection: Projection = {
  name: 'opportunities',
  version: 1,
  eventTypes: OPPORTUNITY_EVENT_TYPES,
  tables: [OPPORTUNITIES_TABLE],
  async handle(trx: Knex.Transaction, stored: StoredEvent) {
    const e = stored as StoredEvent<OpportunityEvent>;
    const key = { tenant_id: e.tenantId, opportunity_id: e.aggregateId };
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const table = () => trx(OPPORTUNITIES_TABLE);
    const event = { type: e.eventType, data: e.payload } as OpportunityEvent;
    switch (event.type) {
      case 'OpportunityCreatedEvent': {
        const d = event.data;
        await table()
          .insert({
            ...key,
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
            products: JSON.stringify(d.products),
            metadata: JSON.stringify(d.metadata),
            created_by: e.metadata.userId,
            created_at: e.timestamp,
            ...touch,
          })
          // Replays are harmless: the row already holds this event's effect.
          .onConflict(['tenant_id', 'opportunity_id'])
          .ignore();
        return;
      }
      case 'OpportunityStageChangedEvent':
        await table()
          .where(key)
          .update({ stage: event.data.toStage, probability: event.data.probability, next_step: event.data.nextStep, ...touch });
        return;
      case 'OpportunityClosedWonEvent':
      case 'OpportunityClosedLostEvent': {
        const won = event.type === 'OpportunityClosedWonEvent';
        await table()
          .where(key)
          .update({
            stage: event.data.toStage,
            status: won ? 'won' : 'lost',
            probability: won ? 100 : 0,
            close_date: event.data.closeDate,
            lost_reason: won ? null : event.data.reason,
            ...touch,
          });
        return;
      }
      case 'OpportunityUpdatedEvent': {
        const d = event.data;
        const changes: Record<string, unknown> = { ...touch };
        if (d.amount !== undefined) changes.amount = d.amount;
        if (d.currency !== undefined) changes.currency = d.currency;
        if (d.expectedCloseDate !== undefined) changes.expected_close_date = d.expectedCloseDate;
        if (d.probability !== undefined) changes.probability = d.probability;
        if (d.nextStep !== undefined) changes.next_step = d.nextStep;
        await table().where(key).update(changes);
        return;
      }
    }
  },
};
