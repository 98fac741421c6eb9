import { givenWhenThen } from '../support/decider.js';
import { expect } from 'chai';
import { fold } from '../../src/aggregates/decider.js';
import {
  type LeadCommand,
  type LeadEvent,
  QUALIFICATION_THRESHOLD,
  conversionIds,
  leadDecider,
  parseTimeline,
  scoreLead,
  timelineFromMetadata,
} from '../../src/aggregates/lead/index.js';
import { type Amount, parseAmount } from '../../src/shared/money.js';
import { uuidV5 } from '../../src/shared/uuid.js';

/** Given events, when a command, then events or an error: the decider needs nothing else. */
const ctx = { now: new Date('2026-02-11T08:00:00.000Z'), actorId: 'user-200' };
const NOW = ctx.now.toISOString();
const money = (s: string) => parseAmount(s) as Amount;

const given = givenWhenThen(leadDecider, ctx);

/** Seed 004's example lead, as POST /api/v1/leads sends it. */
const seedLead: LeadCommand = {
  type: 'CreateLead',
  leadId: 'LEAD-1',
  source: 'webinar',
  personalData: { firstName: 'John', lastName: 'Doe', email: 'john.doe@example.com', phone: '+1-555-0100' },
  company: 'Acme Corp',
  title: 'VP Engineering',
  industry: 'Technology',
  employeeCount: 500,
  annualRevenue: money('50000000'),
  marketingScore: 85,
  metadata: { campaign_id: 'CAMP-1', utm_source: 'linkedin' },
};

const created: LeadEvent = {
  type: 'LeadCreatedEvent',
  data: {
    leadId: 'LEAD-1',
    source: 'webinar',
    ownerId: 'user-200',
    territoryId: null,
    companyName: 'Acme Corp',
    title: 'VP Engineering',
    industry: 'Technology',
    employeeCount: 500,
    annualRevenue: money('50000000.00'),
    currency: 'USD',
    marketingScore: 85,
    metadata: { campaign_id: 'CAMP-1', utm_source: 'linkedin' },
    personalData: { firstName: 'John', lastName: 'Doe', email: 'john.doe@example.com', phone: '+1-555-0100' },
    createdAt: NOW,
  },
};

const scored75: LeadEvent = {
  type: 'LeadScoredEvent',
  data: {
    leadId: 'LEAD-1',
    score: 75,
    breakdown: { companySize: 20, industry: 15, budget: 15, timeline: 5, decisionMaker: 20 },
    basis: {
      companySize: '200-999 employees',
      industry: 'Technology',
      budget: 'annual revenue 10M-100M',
      timeline: 'purchase timeline unknown',
      decisionMaker: 'VP',
    },
    rubricVersion: 1,
    timeline: null,
  },
};

const qualified: LeadEvent = { type: 'LeadQualifiedEvent', data: { leadId: 'LEAD-1', score: 75, threshold: 70, notes: null } };

const converted: LeadEvent = {
  type: 'LeadConvertedEvent',
  data: { leadId: 'LEAD-1', ...conversionIds('LEAD-1'), convertedAt: NOW },
};

/** A lead like the seed's but for its title and scores: 'Director' gives exactly 70. */
function leadWith(title: string | null, score: number, decisionMaker: number, basis: string): LeadEvent[] {
  return [
    { type: 'LeadCreatedEvent', data: { ...(created.data as Extract<LeadEvent, { type: 'LeadCreatedEvent' }>['data']), title } },
    {
      type: 'LeadScoredEvent',
      data: {
        ...(scored75.data as Extract<LeadEvent, { type: 'LeadScoredEvent' }>['data']),
        score,
        breakdown: { companySize: 20, industry: 15, budget: 15, timeline: 5, decisionMaker },
        basis: { ...(scored75.data as Extract<LeadEvent, { type: 'LeadScoredEvent' }>['data']).basis, decisionMaker: basis },
      },
    },
  ];
}

describe('Lead scoring (seed 003 rubric on seed 004 fields)', () => {
  const only = (input: Parameters<typeof scoreLead>[0]) => scoreLead(input).breakdown;

  it("seed 004's example lead scores 75 = 20 + 15 + 15 + 5 + 20 and qualifies (>= 70)", () => {
    const s = scoreLead({ employeeCount: 500, industry: 'Technology', annualRevenue: money('50000000'), title: 'VP Engineering' });
    expect(s.breakdown).to.deep.equal({ companySize: 20, industry: 15, budget: 15, timeline: 5, decisionMaker: 20 });
    expect(s.score).to.equal(75);
    expect(s.score).to.be.at.least(QUALIFICATION_THRESHOLD);
    expect(QUALIFICATION_THRESHOLD).to.equal(70);
  });

  it('companySize: employee_count bands 0/5/10/15/20/25', () => {
    const table: [number | null, number][] = [
      [null, 0], [1, 5], [9, 5], [10, 10], [49, 10], [50, 15], [199, 15], [200, 20], [999, 20], [1000, 25], [250000, 25],
    ];
    for (const [count, points] of table) expect(only({ employeeCount: count }).companySize, `${count}`).to.equal(points);
  });

  it('industry: a table, any case and aliases; any other industry 5, none 0', () => {
    const table: [string | null, number][] = [
      ['Technology', 15], ['SOFTWARE', 15], ['saas', 15], ['Finance', 13], ['financial services', 13], ['Healthcare', 12],
      ['Health Care', 12], ['Manufacturing', 10], ['Retail', 8], ['Consulting', 8], ['Education', 6], ['Government', 6],
      ['Agriculture', 5], ['', 0], [null, 0],
    ];
    for (const [industry, points] of table) expect(only({ industry }).industry, `${industry}`).to.equal(points);
  });

  it('budget: annual_revenue bands compared as decimals (999999.99 < 1M), never as floats', () => {
    const table: [string | null, number][] = [
      [null, 0], ['0', 5], ['999999.99', 5], ['1000000', 10], ['9999999.99', 10], ['10000000', 15], ['99999999.99', 15],
      ['100000000', 20], ['9999999999999999.99', 20],
    ];
    for (const [revenue, points] of table) {
      expect(only({ annualRevenue: revenue === null ? null : money(revenue) }).budget, `${revenue}`).to.equal(points);
    }
  });

  it('timeline: months or labels; unknown or absent scores the default 5', () => {
    const table: [unknown, number][] = [
      [undefined, 5], ['someday', 5], [0, 15], ['immediate', 15], ['Within 1 month', 15], [2, 12], ['2', 12],
      ['this_quarter', 12], ['3 months', 12], ['3-6 months', 8], ['this half', 8], ['this_year', 4], [12, 4], [13, 0],
      ['next_year', 0], ['none', 0], ['No timeline', 0],
    ];
    for (const [input, points] of table) {
      expect(only({ timeline: parseTimeline(input) ?? null }).timeline, `${String(input)}`).to.equal(points);
    }
    expect(parseTimeline(121)).to.equal(undefined);
    expect(parseTimeline(1.5)).to.equal(undefined);
  });

  it('timeline from metadata: timeline, then expected_purchase_window, then purchase_window_months', () => {
    expect(timelineFromMetadata({ timeline: 'this_quarter', purchase_window_months: 12 })).to.equal(3);
    expect(timelineFromMetadata({ expected_purchase_window: '6 months' })).to.equal(6);
    expect(timelineFromMetadata({ purchase_window_months: '1' })).to.equal(1);
    expect(timelineFromMetadata({ utm_source: 'linkedin' })).to.equal(undefined);
  });

  it('decisionMaker: title keywords, highest tier wins; "vice president" is a VP, not a president', () => {
    const table: [string | null, number][] = [
      ['CEO', 25], ['Chief Revenue Officer', 25], ['Co-Founder', 25], ['President', 25], ['Owner', 25],
      ['VP Engineering', 20], ['Vice President of Sales', 20], ['SVP, Operations', 20], ['Executive Vice-President', 20],
      ['Director of IT', 15], ['Head of Procurement', 15], ['Engineering Manager', 10], ['Team Lead', 10],
      ['Software Engineer', 5], ['', 0], [null, 0],
    ];
    for (const [title, points] of table) expect(only({ title }).decisionMaker, `${title}`).to.equal(points);
  });

  it('totals stay within 0..100: the best lead scores 100, an empty one only the timeline default', () => {
    const best = scoreLead({ employeeCount: 5000, industry: 'Technology', annualRevenue: money('500000000'), title: 'CEO', timeline: 1 });
    expect(best.score).to.equal(100);
    expect(scoreLead({}).score).to.equal(5);
    expect(scoreLead({ timeline: 'none' }).score).to.equal(0);
  });
});

describe('Lead decider', () => {
  describe('CreateLead', () => {
    it('records the lead with personal data in one sub-object, then its rubric score', () => {
      given([]).when(seedLead).then([created, scored75]);
    });

    it("keeps marketing's score as marketingScore; our own rubric gives the score", () => {
      const state = fold(leadDecider, [created, scored75]);
      expect(state).to.include({ exists: true, status: 'new', score: 75, marketingScore: 85 });
    });

    it('personal data never leaks outside personalData', () => {
      const [event] = leadDecider.decide(seedLead, leadDecider.initialState, ctx);
      const { personalData, ...rest } = event!.data as Record<string, unknown>;
      expect(personalData).to.deep.equal({ firstName: 'John', lastName: 'Doe', email: 'john.doe@example.com', phone: '+1-555-0100' });
      expect(JSON.stringify(rest)).not.to.match(/John|Doe|john\.doe|555-0100/);
    });

    it('a timeline in the metadata counts in the first score', () => {
      const [, score] = leadDecider.decide({ ...seedLead, metadata: { timeline: 'this_quarter' } }, leadDecider.initialState, ctx);
      expect(score).to.deep.include({ type: 'LeadScoredEvent' });
      expect((score!.data as { score: number; timeline: unknown }).score).to.equal(82);
      expect((score!.data as { timeline: unknown }).timeline).to.equal(3);
    });

    it('the owner defaults to the actor; a given owner and territory are kept; the source is lower-cased', () => {
      const [e] = leadDecider.decide({ ...seedLead, source: ' Webinar ', ownerId: 'user-9', territoryId: 'T-1' }, leadDecider.initialState, ctx);
      expect(e!.data).to.include({ source: 'webinar', ownerId: 'user-9', territoryId: 'T-1' });
    });

    it('a lead id is used once: CONFLICT', () => {
      given([created, scored75]).when(seedLead).thenFails('CONFLICT', /already exists/);
    });
  });

  describe('QualifyLead', () => {
    it('score >= 70: qualified (nothing re-scored when nothing changed)', () => {
      given([created, scored75]).when({ type: 'QualifyLead' }).then([qualified]);
    });

    it('exactly 70 qualifies', () => {
      given(leadWith('Director of Engineering', 70, 15, 'Director'))
        .when({ type: 'QualifyLead' })
        .then([{ type: 'LeadQualifiedEvent', data: { leadId: 'LEAD-1', score: 70, threshold: 70, notes: null } }]);
    });

    it('below 70: unqualified, with the reason', () => {
      given(leadWith('Software Engineer', 60, 5, 'other title'))
        .when({ type: 'QualifyLead' })
        .then([
          {
            type: 'LeadDisqualifiedEvent',
            data: { leadId: 'LEAD-1', score: 60, threshold: 70, reason: 'score 60 is below the qualification threshold of 70' },
          },
        ]);
    });

    it('a timeline learnt from the lead re-scores first: 65 + 7 → 72, qualified', () => {
      const events = leadWith('Engineering Manager', 65, 10, 'Manager');
      const state = fold(leadDecider, events);
      const out = leadDecider.decide({ type: 'QualifyLead', timeline: 'this_quarter', notes: 'budget approved' }, state, ctx);
      expect(out.map((e) => e.type)).to.deep.equal(['LeadScoredEvent', 'LeadQualifiedEvent']);
      expect(out[0]!.data).to.deep.include({ score: 72, timeline: 3 });
      expect(out[1]!.data).to.deep.equal({ leadId: 'LEAD-1', score: 72, threshold: 70, notes: 'budget approved' });
    });

    it('a qualified lead that re-scores below 70 is disqualified', () => {
      const events = [...leadWith('Director', 70, 15, 'Director'), { ...qualified, data: { ...qualified.data, score: 70 } } as LeadEvent];
      const out = leadDecider.decide({ type: 'QualifyLead', timeline: 'none' }, fold(leadDecider, events), ctx);
      expect(out.map((e) => e.type)).to.deep.equal(['LeadScoredEvent', 'LeadDisqualifiedEvent']);
      expect(out[1]!.data).to.include({ score: 65 });
    });

    it('qualifying a qualified lead again changes nothing', () => {
      given([created, scored75, qualified]).when({ type: 'QualifyLead' }).then([]);
    });

    it('an unknown timeline is a VALIDATION_ERROR', () => {
      given([created, scored75]).when({ type: 'QualifyLead', timeline: 'someday' }).thenFails('VALIDATION_ERROR');
    });

    it('no lead: NOT_FOUND; a converted lead: CONFLICT', () => {
      given([]).when({ type: 'QualifyLead' }).thenFails('NOT_FOUND');
      given([created, scored75, qualified, converted]).when({ type: 'QualifyLead' }).thenFails('CONFLICT', /converted/);
    });
  });

  describe('AssignLead', () => {
    it('records owner, territory and reason with what it replaces', () => {
      given([created, scored75])
        .when({ type: 'AssignLead', territoryId: 'T-EMEA', ownerId: 'user-7', reason: 'Geographic match' })
        .then([
          {
            type: 'LeadAssignedEvent',
            data: {
              leadId: 'LEAD-1',
              ownerId: 'user-7',
              territoryId: 'T-EMEA',
              reason: 'Geographic match',
              previousOwnerId: 'user-200',
              previousTerritoryId: null,
              assignedAt: NOW,
            },
          },
        ]);
    });

    it('the owner defaults to the actor', () => {
      const [e] = leadDecider.decide({ type: 'AssignLead', territoryId: 'T-1', reason: 'r' }, fold(leadDecider, [created, scored75]), ctx);
      expect(e!.data).to.include({ ownerId: 'user-200', territoryId: 'T-1' });
    });

    it('the same owner and territory again changes nothing', () => {
      const assigned: LeadEvent = {
        type: 'LeadAssignedEvent',
        data: { leadId: 'LEAD-1', ownerId: 'user-7', territoryId: 'T-1', reason: 'r', previousOwnerId: 'user-200', previousTerritoryId: null, assignedAt: NOW },
      };
      given([created, scored75, assigned]).when({ type: 'AssignLead', territoryId: 'T-1', ownerId: 'user-7', reason: 'again' }).then([]);
    });

    it('a blank reason is a VALIDATION_ERROR; no lead NOT_FOUND; converted CONFLICT', () => {
      given([created, scored75]).when({ type: 'AssignLead', territoryId: 'T-1', reason: '  ' }).thenFails('VALIDATION_ERROR');
      given([]).when({ type: 'AssignLead', territoryId: 'T-1', reason: 'r' }).thenFails('NOT_FOUND');
      given([created, scored75, qualified, converted]).when({ type: 'AssignLead', territoryId: 'T-1', reason: 'r' }).thenFails('CONFLICT');
    });
  });

  describe('ConvertLead', () => {
    it('a qualified lead converts once, with ids derived from the lead id', () => {
      const ids = conversionIds('LEAD-1');
      expect(ids.opportunityId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(ids.customerId).to.not.equal(ids.opportunityId);
      expect(conversionIds('LEAD-1')).to.deep.equal(ids);
      expect(conversionIds('LEAD-2').opportunityId).to.not.equal(ids.opportunityId);
      given([created, scored75, qualified]).when({ type: 'ConvertLead' }).then([
        { type: 'LeadConvertedEvent', data: { leadId: 'LEAD-1', opportunityId: ids.opportunityId, customerId: ids.customerId, customerCreated: true, convertedAt: NOW } },
      ]);
    });

    it('attaching to an existing customer keeps its id and creates none', () => {
      given([created, scored75, qualified])
        .when({ type: 'ConvertLead', customerId: 'CUST-9' })
        .then([
          {
            type: 'LeadConvertedEvent',
            data: { leadId: 'LEAD-1', opportunityId: conversionIds('LEAD-1').opportunityId, customerId: 'CUST-9', customerCreated: false, convertedAt: NOW },
          },
        ]);
    });

    it('converting twice returns the same outcome: no event, the state names the ids', () => {
      const g = given([created, scored75, qualified, converted]);
      g.when({ type: 'ConvertLead' }).then([]);
      g.when({ type: 'ConvertLead', customerId: conversionIds('LEAD-1').customerId }).then([]);
      expect(g.state).to.include({ status: 'converted', ...conversionIds('LEAD-1'), convertedAt: NOW });
    });

    it('converting again with another customer is a CONFLICT', () => {
      const err = given([created, scored75, qualified, converted]).when({ type: 'ConvertLead', customerId: 'CUST-OTHER' }).thenFails('CONFLICT');
      expect(err.details).to.include({ customer_id: conversionIds('LEAD-1').customerId, requested_customer_id: 'CUST-OTHER' });
    });

    it('a new (not yet qualified) or an unqualified lead cannot be converted: CONFLICT', () => {
      given([created, scored75]).when({ type: 'ConvertLead' }).thenFails('CONFLICT', /qualified/);
      const disqualified: LeadEvent = { type: 'LeadDisqualifiedEvent', data: { leadId: 'LEAD-1', score: 60, threshold: 70, reason: 'low' } };
      const err = given([created, scored75, disqualified]).when({ type: 'ConvertLead' }).thenFails('CONFLICT');
      expect(err.details).to.include({ status: 'unqualified', threshold: 70 });
    });

    it('no lead: NOT_FOUND', () => {
      given([]).when({ type: 'ConvertLead' }).thenFails('NOT_FOUND');
    });
  });

  it('uuidV5 matches RFC 4122 (the DNS-namespace vector for www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).to.equal('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('evolve folds the whole life: new → qualified → reassigned → converted', () => {
    const assigned: LeadEvent = {
      type: 'LeadAssignedEvent',
      data: { leadId: 'LEAD-1', ownerId: 'user-7', territoryId: 'T-1', reason: 'r', previousOwnerId: 'user-200', previousTerritoryId: null, assignedAt: '2026-02-12T00:00:00.000Z' },
    };
    const state = fold(leadDecider, [created, scored75, qualified, assigned, converted]);
    expect(state).to.include({ status: 'converted', ownerId: 'user-7', territoryId: 'T-1', assignedAt: '2026-02-12T00:00:00.000Z', score: 75 });
  });
});
