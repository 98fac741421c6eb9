import { expect } from 'chai';
import {
  DEFAULT_SEGMENT_SET,
  type SegmentDefinition,
  type SegmentationEvent,
  segmentationDecider,
} from '../../src/aggregates/segmentation/index.js';
import type { Amount } from '../../src/shared/money.js';
import { DomainError } from '../../src/shared/errors.js';
import { givenWhenThen } from '../support/decider.js';

/** Given events, when a command, then events or an error: the Segmentation decider alone. */
const ctx = { now: new Date('2026-02-02T11:10:00Z'), actorId: 'admin-1' };
const given = givenWhenThen(segmentationDecider, ctx);
const none = { industry: null, companySize: null, revenue: null, lifecycle: null, behavior: null };

const input: SegmentDefinition[] = [
  { code: 'key accounts', name: ' Key accounts ', criteria: { ...none, industry: ['Technology', 'Technology', 'Finance'], revenue: { min: '1000000.00' as Amount, max: null } } },
  { code: 'dormant', name: 'Dormant', criteria: { ...none, lifecycle: ['ACTIVE'], behavior: { noActivityDays: 30, minSlippedDeals: null, match: 'all' } } },
];
const configured: SegmentationEvent = {
  type: 'SegmentsConfiguredEvent',
  data: {
    segments: [
      { code: 'KEY_ACCOUNTS', name: 'Key accounts', criteria: { ...none, industry: ['Technology', 'Finance'], revenue: { min: '1000000.00' as Amount, max: null } } },
      { code: 'DORMANT', name: 'Dormant', criteria: { ...none, lifecycle: ['ACTIVE'], behavior: { noActivityDays: 30, minSlippedDeals: null, match: 'all' } } },
    ],
    configuredBy: 'admin-1',
  },
};

const fieldsOf = (err: DomainError) => (err.details.fields as { field: string }[]).map((f) => f.field);

describe('Segmentation decider', () => {
  it('starts with seed 003\'s four segments, not yet configured', () => {
    const { state } = given([]);
    expect(state.configured).to.equal(false);
    expect(state.set.segments.map((s) => s.code)).to.deep.equal(['ENTERPRISE', 'SMB', 'HIGH_VALUE', 'AT_RISK']);
    expect(state.set).to.equal(DEFAULT_SEGMENT_SET);
  });

  it('records the whole normalised set with its actor', () => {
    given([]).when({ type: 'ConfigureSegments', segments: input }).then([configured]);
    expect(given([configured]).state.set.segments.map((s) => s.code)).to.deep.equal(['KEY_ACCOUNTS', 'DORMANT']);
  });

  it('records nothing when the configured set is sent again, but pins the defaults when sent explicitly', () => {
    given([configured]).when({ type: 'ConfigureSegments', segments: input }).then([]);
    const pinned = given([]).when({ type: 'ConfigureSegments', segments: DEFAULT_SEGMENT_SET.segments }).events();
    expect(pinned).to.have.length(1);
    given([...pinned]).when({ type: 'ConfigureSegments', segments: DEFAULT_SEGMENT_SET.segments }).then([]);
  });

  it('an empty set is allowed: the tenant uses no segments', () => {
    const events = given([configured]).when({ type: 'ConfigureSegments', segments: [] }).events();
    expect(given([configured, ...events]).state.set.segments).to.deep.equal([]);
  });

  it('reports every problem at once', () => {
    const err = given([])
      .when({
        type: 'ConfigureSegments',
        segments: [
          { code: '9x', name: 'Bad', criteria: none },
          { code: 'A', name: 'A', criteria: { ...none, companySize: { minEmployees: 500, maxEmployees: 10 } } },
          { code: 'a', name: '', criteria: { ...none, revenue: { min: '10.00' as Amount, max: '9.99' as Amount } } },
          { code: 'B', name: 'B', criteria: { ...none, behavior: { noActivityDays: null, minSlippedDeals: null, match: 'any' } } },
        ],
      })
      .thenFails('VALIDATION_ERROR', /segment definitions/);
    expect(fieldsOf(err)).to.deep.equal([
      'segments.0.code',
      'segments.0.criteria',
      'segments.1.criteria.company_size',
      'segments.2.code',
      'segments.2.name',
      'segments.2.criteria.revenue',
      'segments.3.criteria.behavior',
    ]);
  });
});
