import type { OpportunityClosedWon } from '../aggregates/opportunity/events.js';
import { opportunityAggregate } from '../aggregates/opportunity/index.js';
import { quotaAggregate, quotaIdOf } from '../aggregates/quota/index.js';
import { loadAggregate } from '../commands/load.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { opportunitiesProjection } from '../projections/opportunities.js';
import { wonForQuota } from '../projections/quotaQueries.js';
import { periodsContaining } from '../shared/period.js';
import { type Workflow, type WorkflowCommand, type WorkflowReads, command } from './workflow.js';

/** Seed 004's quota.attained: QuotaAttainedEvent once the won amount reaches a quota. */
export const QUOTA_ATTAINMENT = 'quota-attainment';

/** The quotas a won deal counts for: its owner's and its territory's, of each period its close date falls in. */
async function quotasOfWonDeal(store: WorkflowReads['store'], event: StoredEvent<OpportunityClosedWon>): Promise<string[]> {
  const { state: deal } = await loadAggregate(store, opportunityAggregate, event.tenantId, event.aggregateId, { upToRevision: event.revision });
  if (!deal.exists) return [];
  const targets = [{ ownerId: deal.ownerId }, ...(deal.territoryId ? [{ territoryId: deal.territoryId }] : [])];
  return periodsContaining(event.payload.closeDate).flatMap((period) => targets.map((t) => quotaIdOf(t, period)));
}

/**
 * When a deal is won, and when a quota is set or changed, the quotas concerned are asked to
 * record their attainment with what is won in their measure now (the opportunities read model,
 * read once it holds the triggering event). The quota's decider appends QuotaAttainedEvent only
 * when the won amount reaches the quota and that amount was not attained before, so running an
 * event again (a retry, a restart, a replay from 0) appends nothing more. Closed deals never
 * change, so won amounts only grow; a quota raised later is attained again once reached.
 */
export const quotaAttainment: Workflow = {
  name: QUOTA_ATTAINMENT,
  version: 1,
  eventTypes: ['OpportunityClosedWonEvent', 'QuotaSetEvent', 'QuotaUpdatedEvent'],
  // Quotas are new with this workflow: nothing in older history can attain one.
  history: 'skip',
  async react(event, { store, db, projectionReached }) {
    const ids = event.eventType === 'OpportunityClosedWonEvent' ? await quotasOfWonDeal(store, event as StoredEvent<OpportunityClosedWon>) : [event.aggregateId];
    const commands: WorkflowCommand[] = [];
    for (const quotaId of ids) {
      const { state: quota } = await loadAggregate(store, quotaAggregate, event.tenantId, quotaId);
      if (!quota.exists) continue;
      if (!(await projectionReached(opportunitiesProjection.name, event.position))) {
        throw new Error(`the ${opportunitiesProjection.name} read model has not reached ${event.eventId} yet`);
      }
      const won = await wonForQuota(db, { tenantId: event.tenantId, ...quota });
      commands.push(command(quotaAggregate, quotaId, { type: 'RecordQuotaAttainment', wonAmount: won.amount, currency: quota.currency }));
    }
    return commands;
  },
};
