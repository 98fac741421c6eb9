import { type Amount, toBig } from '../../shared/money.js';
import type { CustomerStatus } from '../customerProfile/events.js';
import { toCode } from '../customerProfile/fields.js';
import type { SegmentCriteria, SegmentSet } from './definitions.js';

/**
 * Segment membership: the one place the rule lives. A pure function of a customer's facts, the
 * tenant's definitions and the moment of evaluation (time-based criteria become true as time
 * passes, which is why `now` is an input and a periodic run re-evaluates).
 *
 * - Days without activity: whole days from the last completed activity on the customer or one
 *   of its deals (from the customer's creation when it has none) to `now`.
 * - A slipped deal: an open deal of the customer whose expected close date lies before `now`'s
 *   day (UTC), or whose expected close date was ever moved to a later day (isPush, the deal
 *   score's slip).
 */
export interface OpenDealFacts {
  readonly expectedCloseDate: string | null;
  /** The expected close date was moved later at least once. */
  readonly pushed: boolean;
}

export interface CustomerFacts {
  readonly status: CustomerStatus;
  readonly industry: string | null;
  readonly employeeCount: number | null;
  readonly annualRevenue: Amount | null;
  /** ISO instant the profile was created. */
  readonly since: string;
  readonly lastActivityAt: string | null;
  readonly openDeals: readonly OpenDealFacts[];
}

const DAY_MS = 86_400_000;

export function daysWithoutActivity(facts: CustomerFacts, now: Date): number {
  const last = Date.parse(facts.lastActivityAt ?? facts.since);
  return Math.max(0, Math.floor((now.getTime() - last) / DAY_MS));
}

export function slippedDeals(facts: CustomerFacts, now: Date): number {
  const today = now.toISOString().slice(0, 10);
  return facts.openDeals.filter((d) => d.pushed || (d.expectedCloseDate !== null && d.expectedCloseDate < today)).length;
}

const within = (value: number, min: number | null, max: number | null) => (min === null || value >= min) && (max === null || value <= max);

function meets(c: SegmentCriteria, f: CustomerFacts, now: Date): boolean {
  if (c.industry && (f.industry === null || !c.industry.some((i) => toCode(i) === toCode(f.industry!)))) return false;
  if (c.companySize && (f.employeeCount === null || !within(f.employeeCount, c.companySize.minEmployees, c.companySize.maxEmployees))) return false;
  if (c.revenue) {
    if (f.annualRevenue === null) return false;
    const revenue = toBig(f.annualRevenue);
    if ((c.revenue.min !== null && revenue.lt(toBig(c.revenue.min))) || (c.revenue.max !== null && revenue.gt(toBig(c.revenue.max)))) return false;
  }
  if (c.lifecycle && !c.lifecycle.includes(f.status)) return false;
  const b = c.behavior;
  if (b) {
    const checks: boolean[] = [];
    if (b.noActivityDays !== null) checks.push(daysWithoutActivity(f, now) >= b.noActivityDays);
    if (b.minSlippedDeals !== null) checks.push(slippedDeals(f, now) >= b.minSlippedDeals);
    if (!(b.match === 'any' ? checks.some(Boolean) : checks.every(Boolean))) return false;
  }
  return true;
}

/** The codes of the segments the customer belongs to, in the set's order. */
export function segmentsOf(facts: CustomerFacts, set: SegmentSet, now: Date): string[] {
  return set.segments.filter((s) => meets(s.criteria, facts, now)).map((s) => s.code);
}
