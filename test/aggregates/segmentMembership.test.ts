import { expect } from 'chai';
import {
  type CustomerFacts,
  DEFAULT_SEGMENT_SET,
  type SegmentSet,
  daysWithoutActivity,
  segmentsOf,
  slippedDeals,
} from '../../src/aggregates/segmentation/index.js';
import type { Amount } from '../../src/shared/money.js';

/** The one membership rule (facts, definitions, now) → segments, case by case. */
const now = new Date('2026-06-15T12:00:00Z');
const base: CustomerFacts = {
  status: 'ACTIVE',
  industry: null,
  employeeCount: null,
  annualRevenue: null,
  since: '2026-06-01T00:00:00Z',
  lastActivityAt: null,
  openDeals: [],
};
const none = { industry: null, companySize: null, revenue: null, lifecycle: null, behavior: null };
const of = (facts: Partial<CustomerFacts>, set: SegmentSet = DEFAULT_SEGMENT_SET) => segmentsOf({ ...base, ...facts }, set, now);

describe('Segment membership (segmentsOf)', () => {
  it('defaults: enterprise from 1,000 employees, SMB up to 199, nothing in between or unknown', () => {
    expect(of({ employeeCount: 1000 })).to.deep.equal(['ENTERPRISE']);
    expect(of({ employeeCount: 999 })).to.deep.equal([]);
    expect(of({ employeeCount: 199 })).to.deep.equal(['SMB']);
    expect(of({ employeeCount: 0 })).to.deep.equal(['SMB']);
    expect(of({ employeeCount: 200 })).to.deep.equal([]);
    expect(of({})).to.deep.equal([]);
  });

  it('defaults: high value from an annual revenue of 50,000,000.00, compared as decimals', () => {
    expect(of({ annualRevenue: '50000000.00' as Amount })).to.deep.equal(['HIGH_VALUE']);
    expect(of({ annualRevenue: '49999999.99' as Amount })).to.deep.equal([]);
    expect(of({ annualRevenue: '9999999999999999.99' as Amount, employeeCount: 5000 })).to.deep.equal(['ENTERPRISE', 'HIGH_VALUE']);
  });

  it('defaults: at risk is an ACTIVE customer 90 days without activity or with a slipped deal', () => {
    const quiet = { since: '2026-01-01T00:00:00Z', lastActivityAt: '2026-03-17T12:00:00Z' }; // 90 days before now
    expect(of(quiet)).to.deep.equal(['AT_RISK']);
    expect(of({ ...quiet, lastActivityAt: '2026-03-17T12:00:01Z' })).to.deep.equal([]);
    expect(of({ ...quiet, status: 'INACTIVE' })).to.deep.equal([]);
    // No activity ever: counted from the profile's creation; an activity logged from before it counts as it happened.
    expect(of({ since: '2026-03-01T00:00:00Z' })).to.deep.equal(['AT_RISK']);
    expect(of({ since: '2026-06-10T00:00:00Z', lastActivityAt: '2026-01-01T00:00:00Z' })).to.deep.equal(['AT_RISK']);
    expect(of({ openDeals: [{ expectedCloseDate: '2026-06-14', pushed: false }] })).to.deep.equal(['AT_RISK']);
    expect(of({ openDeals: [{ expectedCloseDate: '2026-06-15', pushed: false }] })).to.deep.equal([]);
    expect(of({ openDeals: [{ expectedCloseDate: '2026-12-31', pushed: true }] })).to.deep.equal(['AT_RISK']);
    expect(of({ openDeals: [{ expectedCloseDate: null, pushed: false }] })).to.deep.equal([]);
  });

  it('time alone moves a customer into a behaviour segment', () => {
    const facts = { ...base, since: '2026-01-01T00:00:00Z', lastActivityAt: '2026-04-01T00:00:00Z' };
    expect(segmentsOf(facts, DEFAULT_SEGMENT_SET, new Date('2026-06-29T23:59:59Z'))).to.deep.equal([]);
    expect(segmentsOf(facts, DEFAULT_SEGMENT_SET, new Date('2026-06-30T00:00:00Z'))).to.deep.equal(['AT_RISK']);
    expect(daysWithoutActivity(facts, new Date('2026-06-30T00:00:00Z'))).to.equal(90);
  });

  it('combines criteria with AND, lists with OR, behaviour by its match, industries in any case', () => {
    const set: SegmentSet = {
      segments: [
        {
          code: 'TECH_MID',
          name: 'Tech mid-size',
          criteria: { ...none, industry: ['Technology', 'financial services'], companySize: { minEmployees: 100, maxEmployees: 500 }, lifecycle: ['ACTIVE', 'PROSPECT'] },
        },
        { code: 'BOTH', name: 'Both', criteria: { ...none, behavior: { noActivityDays: 10, minSlippedDeals: 2, match: 'all' } } },
        { code: 'REVENUE_BAND', name: 'Band', criteria: { ...none, revenue: { min: '1.00' as Amount, max: '2.00' as Amount } } },
      ],
    };
    expect(of({ industry: 'Financial Services', employeeCount: 100, status: 'PROSPECT' }, set)).to.deep.equal(['TECH_MID']);
    expect(of({ industry: 'Retail', employeeCount: 100 }, set)).to.deep.equal([]);
    expect(of({ industry: 'technology', employeeCount: 501 }, set)).to.deep.equal([]);
    expect(of({ industry: 'technology', employeeCount: 300, status: 'INACTIVE' }, set)).to.deep.equal([]);
    const slipped = [
      { expectedCloseDate: '2026-01-01', pushed: false },
      { expectedCloseDate: '2027-01-01', pushed: true },
    ];
    expect(of({ openDeals: slipped, since: '2026-06-10T00:00:00Z' }, set)).to.deep.equal([]); // two slipped, but only 5 days quiet
    expect(of({ openDeals: slipped, since: '2026-06-05T12:00:00Z' }, set)).to.deep.equal(['BOTH']);
    expect(of({ openDeals: slipped.slice(0, 1), since: '2026-06-05T12:00:00Z' }, set)).to.deep.equal([]);
    expect(of({ annualRevenue: '2.00' as Amount }, set)).to.deep.equal(['REVENUE_BAND']);
    expect(of({ annualRevenue: '2.01' as Amount }, set)).to.deep.equal([]);
    expect(slippedDeals({ ...base, openDeals: slipped }, now)).to.equal(2);
  });
});
