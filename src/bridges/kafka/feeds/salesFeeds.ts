import type { StoredEvent } from '../../../eventstore/envelope.js';
import { snakeKeys } from '../../../shared/case.js';
import type { FeedMessage } from './envelope.js';
import type { FeedName } from './feedTopics.js';

/**
 * Seed 004's pub/sub topics: which stored event becomes which feed event, as data. The payload
 * is the event's own, in snake_case, without its personal-data sub-object: names, emails and
 * phones of leads stay out of these topics (consumers that need them ask the API, under its
 * access policy and erasure).
 */
interface Route {
  readonly feed: FeedName;
  readonly eventType: string;
  /** The entity id field of the payload: the message key. */
  readonly keyField: string;
}

export const SALES_FEED_ROUTES: Readonly<Record<string, readonly Route[]>> = {
  LeadCreatedEvent: [{ feed: 'SALES_LEADS', eventType: 'lead.created', keyField: 'leadId' }],
  LeadQualifiedEvent: [{ feed: 'SALES_LEADS', eventType: 'lead.qualified', keyField: 'leadId' }],
  LeadAssignedEvent: [
    { feed: 'SALES_LEADS', eventType: 'lead.assigned', keyField: 'leadId' },
    { feed: 'SALES_TERRITORIES', eventType: 'territory.assignment_changed', keyField: 'territoryId' },
  ],
  LeadConvertedEvent: [{ feed: 'SALES_LEADS', eventType: 'lead.converted', keyField: 'leadId' }],
  OpportunityCreatedEvent: [{ feed: 'SALES_OPPORTUNITIES', eventType: 'opportunity.created', keyField: 'opportunityId' }],
  OpportunityStageChangedEvent: [{ feed: 'SALES_OPPORTUNITIES', eventType: 'opportunity.stage_changed', keyField: 'opportunityId' }],
  OpportunityClosedWonEvent: [{ feed: 'SALES_OPPORTUNITIES', eventType: 'opportunity.won', keyField: 'opportunityId' }],
  OpportunityClosedLostEvent: [{ feed: 'SALES_OPPORTUNITIES', eventType: 'opportunity.lost', keyField: 'opportunityId' }],
  OpportunityTerritoryAssignedEvent: [{ feed: 'SALES_TERRITORIES', eventType: 'territory.assignment_changed', keyField: 'toTerritoryId' }],
  TerritoryCreatedEvent: [{ feed: 'SALES_TERRITORIES', eventType: 'territory.created', keyField: 'territoryId' }],
  TerritoryUpdatedEvent: [{ feed: 'SALES_TERRITORIES', eventType: 'territory.updated', keyField: 'territoryId' }],
  TerritoryDeactivatedEvent: [{ feed: 'SALES_TERRITORIES', eventType: 'territory.updated', keyField: 'territoryId' }],
  TerritoryReactivatedEvent: [{ feed: 'SALES_TERRITORIES', eventType: 'territory.updated', keyField: 'territoryId' }],
  QuotaSetEvent: [{ feed: 'SALES_QUOTAS', eventType: 'quota.set', keyField: 'quotaId' }],
  QuotaUpdatedEvent: [{ feed: 'SALES_QUOTAS', eventType: 'quota.updated', keyField: 'quotaId' }],
  QuotaAttainedEvent: [{ feed: 'SALES_QUOTAS', eventType: 'quota.attained', keyField: 'quotaId' }],
};

/** The seed 004 pub/sub messages of one stored event (none for most types). */
export function salesFeedMessages(e: StoredEvent): FeedMessage[] {
  const routes = SALES_FEED_ROUTES[e.eventType] ?? [];
  if (routes.length === 0) return [];
  const { personalData: _personal, ...data } = e.payload as Record<string, unknown>;
  const payload = snakeKeys({ ...data, ...territoryChange(e) }) as Record<string, unknown>;
  return routes.map((r) => ({ feed: r.feed, eventType: r.eventType, key: String(data[r.keyField] ?? e.aggregateId), payload }));
}

/** territory.updated for (de)activation names what changed, as TerritoryUpdatedEvent does. */
function territoryChange(e: StoredEvent): Record<string, unknown> {
  if (e.eventType === 'TerritoryDeactivatedEvent') return { changedFields: ['active'], active: false };
  if (e.eventType === 'TerritoryReactivatedEvent') return { changedFields: ['active'], active: true };
  return {};
}
