import type { Amount } from '../../shared/money.js';
import type { CustomerStatus } from '../customerProfile/events.js';

/**
 * Segment definitions (seed 003's CustomerSegment / SegmentCriteria), one set per tenant. A
 * segment's criteria all hold for a member (AND); within `industry` and `lifecycle` any listed
 * value will do; `behavior` combines its own two criteria by its `match` ('any' or 'all').
 * A criterion left out (null) does not restrict. Ranges include both ends. A criterion on a
 * fact the customer lacks (no industry, no employee count, no revenue) is not met.
 */
export interface CompanySizeRange {
  readonly minEmployees: number | null;
  readonly maxEmployees: number | null;
}

export interface RevenueRange {
  readonly min: Amount | null;
  readonly max: Amount | null;
}

export interface BehaviorCriteria {
  /** Days since the last completed activity on the customer or its deals (without any: since its creation). */
  readonly noActivityDays: number | null;
  /** At least this many slipped deals (membership.ts says what slipped means). */
  readonly minSlippedDeals: number | null;
  readonly match: 'any' | 'all';
}

export interface SegmentCriteria {
  readonly industry: readonly string[] | null;
  readonly companySize: CompanySizeRange | null;
  readonly revenue: RevenueRange | null;
  readonly lifecycle: readonly CustomerStatus[] | null;
  readonly behavior: BehaviorCriteria | null;
}

export interface SegmentDefinition {
  /** UPPER_SNAKE code, what `?segment=` and profile events name (ENTERPRISE, HIGH_VALUE). */
  readonly code: string;
  readonly name: string;
  readonly criteria: SegmentCriteria;
}

/** A tenant's segments in the order it gave them; a customer's segments are listed in this order. */
export interface SegmentSet {
  readonly segments: readonly SegmentDefinition[];
}

const none: SegmentCriteria = { industry: null, companySize: null, revenue: null, lifecycle: null, behavior: null };

/**
 * Seed 003's four segments, for every tenant until it configures its own (README documents them):
 * enterprise 1,000+ employees; SMB up to 199; high value an annual revenue of 50,000,000.00 or
 * more; at risk an ACTIVE customer without activity for 90 days or with a slipped deal.
 */
export const DEFAULT_SEGMENT_SET: SegmentSet = {
  segments: [
    { code: 'ENTERPRISE', name: 'Enterprise', criteria: { ...none, companySize: { minEmployees: 1000, maxEmployees: null } } },
    { code: 'SMB', name: 'SMB', criteria: { ...none, companySize: { minEmployees: null, maxEmployees: 199 } } },
    { code: 'HIGH_VALUE', name: 'High value', criteria: { ...none, revenue: { min: '50000000.00' as Amount, max: null } } },
    {
      code: 'AT_RISK',
      name: 'At risk',
      criteria: { ...none, lifecycle: ['ACTIVE'], behavior: { noActivityDays: 90, minSlippedDeals: 1, match: 'any' } },
    },
  ],
};
