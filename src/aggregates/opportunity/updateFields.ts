import type { OpportunityUpdated } from './events.js';
import type { ExistingOpportunity } from './state.js';

type Wanted = Omit<OpportunityUpdated['data'], 'opportunityId' | 'changedFields'>;

/** The fields an update may change that the state keeps, in changedFields order. */
const KEPT = ['amount', 'currency', 'expectedCloseDate', 'probability', 'nextStep'] as const;

/** An update event holding only the fields that really change; undefined when none does. */
export function updateFields(current: ExistingOpportunity, wanted: Wanted): OpportunityUpdated | undefined {
  const data: OpportunityUpdated['data'] = { opportunityId: current.opportunityId, changedFields: [] };
  for (const field of KEPT) {
    const value = wanted[field];
    if (value !== undefined && value !== current[field]) {
      (data as Record<string, unknown>)[field] = value;
      data.changedFields.push(field);
    }
  }
  // Notes are not kept in the state: any given note is news.
  if (wanted.notes !== undefined && wanted.notes !== null) {
    data.notes = wanted.notes;
    data.changedFields.push('notes');
  }
  return data.changedFields.length ? { type: 'OpportunityUpdatedEvent', data } : undefined;
}
