import { systemAccess } from '../access/access.js';
import { customerProfileAggregate } from '../aggregates/customerProfile/index.js';
import { SEGMENTATION_AGGREGATE_ID, segmentationAggregate, segmentsOf } from '../aggregates/segmentation/index.js';
import { customerFactsOf } from '../projections/segmentFactsQueries.js';
import { DomainError } from '../shared/errors.js';
import type { AppContext } from './context.js';
import { loadAggregate } from './load.js';

/** Who records segment changes: the service itself, bound by the domain rules only. */
export const SEGMENTATION_ACTOR = 'system:segmentation';

export interface EvaluationCause {
  readonly correlationId: string;
  /** The event that changed a fact (or the periodic run's id). */
  readonly causationId: string | null;
}

const sameMembers = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c) => b.includes(c));

/**
 * Re-evaluates the segments of a tenant's customers (the named ones, or all) at `now` and records
 * each change on the customer's profile (CustomerProfileUpdatedEvent, changedFields ["segments"]).
 * The facts come from the segment-facts read model: callers reacting to an event wait until it
 * holds that event. A customer whose segments are unchanged gets no command (and the decider
 * would record nothing anyway), so repeating an evaluation, or replaying its cause, appends
 * nothing. Returns how many profiles changed.
 */
export async function evaluateSegments(
  app: AppContext,
  tenantId: string,
  customerIds: readonly string[] | 'all',
  now: Date,
  cause: EvaluationCause,
): Promise<number> {
  const { set } = (await loadAggregate(app.store, segmentationAggregate, tenantId, SEGMENTATION_AGGREGATE_ID)).state;
  const rows = await customerFactsOf(app.db, tenantId, customerIds === 'all' ? undefined : customerIds);
  let changed = 0;
  for (const row of rows) {
    const segments = segmentsOf(row.facts, set, now);
    if (sameMembers(segments, row.segments)) continue;
    try {
      const result = await app.execute(
        customerProfileAggregate,
        { access: systemAccess(tenantId, SEGMENTATION_ACTOR), aggregateId: row.customerId, correlationId: cause.correlationId, causationId: cause.causationId },
        { type: 'AssignSegments', segments },
      );
      if (result.events.length > 0) changed++;
    } catch (err) {
      // Merged away (or gone) since its facts were read: it holds no segments of its own any more.
      if (err instanceof DomainError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND')) continue;
      throw err;
    }
  }
  return changed;
}
