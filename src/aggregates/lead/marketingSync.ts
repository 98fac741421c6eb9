import { isDeepStrictEqual } from 'node:util';
import type { DomainEvent } from '../decider.js';

/**
 * What Marketing tells us about a lead (seed 004's upstream lead.qualified, and POST
 * /leads/{id}/sync): its score, the campaign and the attribution of touches. Kept on the lead
 * as Marketing's view; our own rubric score (scoring.ts) stays ours and decides qualification.
 */
export interface Attribution {
  readonly firstTouch: string | null;
  readonly lastTouch: string | null;
  readonly touches: readonly string[];
}

export interface MarketingView {
  readonly marketingScore: number | null;
  readonly campaignId: string | null;
  readonly attribution: Attribution | null;
}

export type LeadMarketingSynced = DomainEvent<
  'LeadMarketingSyncedEvent',
  MarketingView & {
    leadId: string;
    /** Which of the three changed. */
    changedFields: string[];
    /** The marketing event it came from (Kafka's event_id), or null for an API sync. */
    sourceEventId: string | null;
  }
>;

// Key order differs once an event has been through jsonb: compare structurally.
const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);

/** The sync event for what differs from what the lead holds; undefined when nothing does (a duplicate). */
export function marketingChanges(
  leadId: string,
  held: MarketingView,
  incoming: MarketingView,
  sourceEventId: string | null,
): LeadMarketingSynced | undefined {
  const changedFields = (['marketingScore', 'campaignId', 'attribution'] as const).filter(
    (f) => incoming[f] !== null && !same(incoming[f], held[f]),
  );
  if (changedFields.length === 0) return undefined;
  const merged: MarketingView = {
    marketingScore: incoming.marketingScore ?? held.marketingScore,
    campaignId: incoming.campaignId ?? held.campaignId,
    attribution: incoming.attribution ?? held.attribution,
  };
  return { type: 'LeadMarketingSyncedEvent', data: { leadId, ...merged, changedFields: [...changedFields], sourceEventId } };
}
