import { ACTIVITY_EVENT_TYPES } from '../aggregates/activity/events.js';
import { CUSTOMER_PROFILE_EVENT_TYPES, type CustomerProfileUpdated, customerProfileAggregate } from '../aggregates/customerProfile/index.js';
import { OPPORTUNITY_EVENT_TYPES } from '../aggregates/opportunity/events.js';
import { SEGMENTATION_AGGREGATE_ID, segmentationAggregate, segmentsOf } from '../aggregates/segmentation/index.js';
import { loadAggregate } from '../commands/load.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { formatPosition } from '../eventstore/port.js';
import { segmentFactsProjection } from '../projections/segmentFacts.js';
import { customerFactsOf, customersOfRecord } from '../projections/segmentFactsQueries.js';
import { type Workflow, type WorkflowCommand, type WorkflowReads, command } from './workflow.js';

/**
 * Segment membership kept on the customer profiles (seed 003's automated segmentation): each
 * event that changes a fact re-evaluates the customers it is about, a change of the definitions
 * re-evaluates the tenant, and segmentSchedule.ts re-evaluates everyone periodically, since
 * "no activity for N days" becomes true with time alone. The rule is segmentsOf; a change is
 * AssignSegments on the profile (CustomerProfileUpdatedEvent, changedFields ["segments"]).
 */
export const SEGMENTATION = 'segmentation';

const sameMembers = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c) => b.includes(c));

/**
 * The AssignSegments commands that bring the named customers (or all of a tenant's) up to date at
 * `now`. The decider records nothing for unchanged members, so repeating an evaluation or
 * replaying its cause appends nothing. `skipKnown` leaves out customers whose members, as the
 * facts model last saw them, are unchanged: cheap for a whole tenant, but that model may not yet
 * hold the workflow's own latest verdict, so only the periodic run (which comes again) uses it.
 */
export async function segmentCommands(
  reads: Pick<WorkflowReads, 'store' | 'db'>,
  tenantId: string,
  customers: readonly string[] | 'all',
  now: Date,
  options: { skipKnown: boolean },
): Promise<WorkflowCommand[]> {
  if (customers !== 'all' && customers.length === 0) return [];
  const { set } = (await loadAggregate(reads.store, segmentationAggregate, tenantId, SEGMENTATION_AGGREGATE_ID)).state;
  const rows = await customerFactsOf(reads.db, tenantId, customers === 'all' ? undefined : customers);
  return rows.flatMap((row) => {
    const segments = segmentsOf(row.facts, set, now);
    return options.skipKnown && sameMembers(segments, row.segments) ? [] : [command(customerProfileAggregate, row.customerId, { type: 'AssignSegments', segments })];
  });
}

const PROFILE_TYPES = new Set<string>(CUSTOMER_PROFILE_EVENT_TYPES);
const DEAL_TYPES = new Set<string>(OPPORTUNITY_EVENT_TYPES);

/** The customers whose facts the event changed ('all' for new definitions). */
async function customersAffected(e: StoredEvent, reads: Pick<WorkflowReads, 'db'>): Promise<readonly string[] | 'all'> {
  if (e.eventType === 'SegmentsConfiguredEvent') return 'all';
  if (PROFILE_TYPES.has(e.eventType)) {
    // Our own verdict changes no fact; a merged-away source holds no segments of its own.
    const own = e.eventType === 'CustomerProfileUpdatedEvent' && (e.payload as CustomerProfileUpdated['data']).changedFields.every((f) => f === 'segments');
    return own || e.eventType === 'CustomerMergedIntoEvent' ? [] : [e.aggregateId];
  }
  if (DEAL_TYPES.has(e.eventType)) return customersOfRecord(reads.db, e.tenantId, { opportunityId: e.aggregateId });
  return customersOfRecord(reads.db, e.tenantId, { activityId: e.aggregateId });
}

export const segmentation: Workflow = {
  name: SEGMENTATION,
  version: 1,
  eventTypes: ['SegmentsConfiguredEvent', ...CUSTOMER_PROFILE_EVENT_TYPES, 'OpportunityCreatedEvent', 'OpportunityUpdatedEvent', 'OpportunityClosedWonEvent', 'OpportunityClosedLostEvent', ...ACTIVITY_EVENT_TYPES],
  // History is covered by the periodic run, which evaluates every customer soon after a start.
  history: 'skip',
  async react(event, reads) {
    // The facts are a projection: it must hold the event before the evaluation reads it.
    if (!(await reads.projectionReached(segmentFactsProjection.name, event.position))) {
      throw new Error(`segment facts have not reached ${formatPosition(event.position)} yet`);
    }
    const customers = await customersAffected(event, reads);
    return segmentCommands(reads, event.tenantId, customers, new Date(), { skipKnown: false });
  },
};
