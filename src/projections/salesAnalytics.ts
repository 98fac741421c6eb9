import type { Knex } from 'knex';
import type { OpportunityEvent } from '../aggregates/opportunity/events.js';
import { OPPORTUNITY_EVENT_TYPES } from '../aggregates/opportunity/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './runner.js';

export const STAGE_HISTORY_TABLE = 'opportunity_stage_history';
export const CLOSE_DATE_CHANGES_TABLE = 'opportunity_close_date_changes';

/**
 * What sales metrics need beyond the current row of each opportunity: every stage visit with
 * when it began and ended (time in stage, conversion), and every move of the expected close
 * date (slipped deals). Its own tables and checkpoint: it never reads another projection's.
 */
export const salesAnalyticsProjection: Projection = {
  name: 'sales-analytics',
  version: 1,
  eventTypes: OPPORTUNITY_EVENT_TYPES,
  tables: [STAGE_HISTORY_TABLE, CLOSE_DATE_CHANGES_TABLE],
  async handle(trx: Knex.Transaction, stored: StoredEvent) {
    const e = stored as StoredEvent<OpportunityEvent>;
    const event = { type: e.eventType, data: e.payload } as OpportunityEvent;
    const key = { tenant_id: e.tenantId, opportunity_id: e.aggregateId };
    const enter = async (stage: string) => {
      await trx(STAGE_HISTORY_TABLE).where(key).whereNull('left_at').update({ left_at: e.timestamp });
      await trx(STAGE_HISTORY_TABLE).insert({ ...key, revision: e.revision.toString(), stage, entered_at: e.timestamp });
    };
    const closeDate = async (to: string | null) => {
      const previous = await trx(CLOSE_DATE_CHANGES_TABLE).where(key).orderBy('revision', 'desc').first('to_date');
      await trx(CLOSE_DATE_CHANGES_TABLE).insert({
        ...key,
        revision: e.revision.toString(),
        from_date: previous?.to_date ?? null,
        to_date: to,
        changed_at: e.timestamp,
      });
    };
    switch (event.type) {
      case 'OpportunityCreatedEvent':
        await enter(event.data.stage);
        await closeDate(event.data.expectedCloseDate);
        return;
      case 'OpportunityStageChangedEvent':
        await enter(event.data.toStage);
        return;
      case 'OpportunityClosedWonEvent':
      case 'OpportunityClosedLostEvent':
        await enter(event.data.toStage);
        return;
      case 'OpportunityUpdatedEvent':
        if (event.data.expectedCloseDate !== undefined) await closeDate(event.data.expectedCloseDate);
        return;
    }
  },
};
