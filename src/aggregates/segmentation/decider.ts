import { validation } from '../../shared/errors.js';
import { toBig } from '../../shared/money.js';
import { toCode } from '../customerProfile/fields.js';
import { CUSTOMER_STATUSES } from '../customerProfile/events.js';
import type { Decider, DecisionContext } from '../decider.js';
import type { SegmentationCommand } from './commands.js';
import { DEFAULT_SEGMENT_SET, type SegmentCriteria, type SegmentDefinition, type SegmentSet } from './definitions.js';
import type { SegmentationEvent } from './events.js';

/** `configured` is false until the first event: the tenant then has DEFAULT_SEGMENT_SET. */
export interface SegmentationState {
  readonly configured: boolean;
  readonly set: SegmentSet;
}

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_SEGMENTS = 50;

interface Issue {
  field: string;
  message: string;
}

function criteriaIssues(c: SegmentCriteria, at: string, issue: (field: string, message: string) => void): SegmentCriteria {
  const given = [c.industry, c.companySize, c.revenue, c.lifecycle, c.behavior].filter((x) => x !== null);
  if (given.length === 0) issue(at, 'at least one criterion is required');
  const industry = c.industry && [...new Set(c.industry.map((i) => i.trim()))];
  if (industry && (industry.length === 0 || industry.some((i) => !i))) issue(`${at}.industry`, 'must list at least one non-empty industry');
  const size = c.companySize;
  if (size) {
    if (size.minEmployees === null && size.maxEmployees === null) issue(`${at}.company_size`, 'give min_employees, max_employees or both');
    else if (size.minEmployees !== null && size.maxEmployees !== null && size.minEmployees > size.maxEmployees) {
      issue(`${at}.company_size`, 'min_employees must not exceed max_employees');
    }
  }
  const revenue = c.revenue;
  if (revenue) {
    if (revenue.min === null && revenue.max === null) issue(`${at}.revenue`, 'give min, max or both');
    else if (revenue.min !== null && revenue.max !== null && toBig(revenue.min).gt(toBig(revenue.max))) issue(`${at}.revenue`, 'min must not exceed max');
  }
  const lifecycle = c.lifecycle && [...new Set(c.lifecycle)];
  if (lifecycle && (lifecycle.length === 0 || lifecycle.some((s) => !CUSTOMER_STATUSES.includes(s)))) {
    issue(`${at}.lifecycle`, `must list one or more of ${CUSTOMER_STATUSES.join(', ')}`);
  }
  const b = c.behavior;
  if (b && b.noActivityDays === null && b.minSlippedDeals === null) issue(`${at}.behavior`, 'give no_activity_days, min_slipped_deals or both');
  return { industry, companySize: size, revenue, lifecycle, behavior: b };
}

/** The command's set, normalised and checked; every problem at once as details.fields. */
export function validateSegmentSet(segments: readonly SegmentDefinition[]): SegmentSet {
  const issues: Issue[] = [];
  const issue = (field: string, message: string) => issues.push({ field, message });
  if (segments.length > MAX_SEGMENTS) issue('segments', `at most ${MAX_SEGMENTS} segments`);
  const codes = new Set<string>();
  const out = segments.map((s, i) => {
    const at = `segments.${i}`;
    const code = toCode(s.code); // "high value", "High-Value": HIGH_VALUE, as ?segment= reads it
    if (!CODE.test(code)) issue(`${at}.code`, 'must be letters, digits and _ (1-64), starting with a letter');
    else if (codes.has(code)) issue(`${at}.code`, `duplicate segment code ${code}`);
    codes.add(code);
    const name = s.name.trim();
    if (!name || name.length > 100) issue(`${at}.name`, 'must be 1-100 characters');
    return { code, name, criteria: criteriaIssues(s.criteria, `${at}.criteria`, issue) };
  });
  if (issues.length) throw validation('Invalid segment definitions', { fields: issues });
  return { segments: out };
}

/** JSON with keys in a fixed order: a set read back from jsonb may order its keys otherwise. */
function canonical(set: SegmentSet): string {
  return JSON.stringify(
    set.segments.map((s) => {
      const c = s.criteria;
      return [s.code, s.name, c.industry, c.companySize && [c.companySize.minEmployees, c.companySize.maxEmployees], c.revenue && [c.revenue.min, c.revenue.max], c.lifecycle, c.behavior && [c.behavior.noActivityDays, c.behavior.minSlippedDeals, c.behavior.match]];
    }),
  );
}

function decide(command: SegmentationCommand, state: SegmentationState, ctx: DecisionContext): SegmentationEvent[] {
  const set = validateSegmentSet(command.segments);
  // Configuring the defaults explicitly is recorded (it pins them); re-sending the set is not.
  if (state.configured && canonical(set) === canonical(state.set)) return [];
  return [{ type: 'SegmentsConfiguredEvent', data: { segments: set.segments.map((s) => ({ ...s })), configuredBy: ctx.actorId } }];
}

function evolve(_state: SegmentationState, event: SegmentationEvent): SegmentationState {
  return { configured: true, set: { segments: event.data.segments } };
}

export const segmentationDecider: Decider<SegmentationCommand, SegmentationEvent, SegmentationState> = {
  initialState: { configured: false, set: DEFAULT_SEGMENT_SET },
  evolve,
  decide,
};
