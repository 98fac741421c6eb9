import { expect } from 'chai';
import { type LeadCommand, type LeadEvent, leadDecider } from '../../src/aggregates/lead/index.js';
import { givenWhenThen } from '../support/decider.js';

/** Marketing's view of a lead (seed 004 lead.qualified / POST /leads/{id}/sync), given/when/then. */
const ctx = { now: new Date('2026-02-11T08:00:00.000Z'), actorId: 'system:kafka-inbound' };
const given = givenWhenThen(leadDecider, ctx);

type Sync = Extract<LeadCommand, { type: 'SyncFromMarketing' }>;
const sync = (score: number | null, touches: string[] | null, campaignId: string | null = 'CAMP-7'): Sync => ({
  type: 'SyncFromMarketing',
  create: { leadId: 'L-1', source: 'webinar', personalData: { firstName: 'John', lastName: 'Doe', email: 'john@example.com', phone: null }, company: 'Acme', ...(score === null ? {} : { marketingScore: score }) },
  view: {
    marketingScore: score,
    campaignId,
    attribution: touches ? { firstTouch: touches[0] ?? null, lastTouch: touches.at(-1) ?? null, touches } : null,
  },
  sourceEventId: 'evt-1',
});

describe('Lead: SyncFromMarketing', () => {
  it('an unknown lead is created (and scored by our rubric), then takes Marketing’s campaign and attribution', () => {
    const events = given([]).when(sync(85, ['paid_search', 'webinar'])).events();
    expect(events.map((e) => e.type)).to.deep.equal(['LeadCreatedEvent', 'LeadScoredEvent', 'LeadMarketingSyncedEvent']);
    expect(events[0]!.data).to.include({ marketingScore: 85, companyName: 'Acme' });
    expect(events[2]!.data).to.deep.include({ changedFields: ['campaignId', 'attribution'], marketingScore: 85, sourceEventId: 'evt-1' });
  });

  it('the same view again changes nothing; a new score is synced alone and keeps the attribution', () => {
    const history = given([]).when(sync(85, ['paid_search', 'webinar'])).events() as LeadEvent[];
    given(history).when(sync(85, ['paid_search', 'webinar'])).then([]);
    const [rescored] = given(history).when(sync(92, null, null)).events();
    expect(rescored!.data).to.deep.include({
      changedFields: ['marketingScore'],
      marketingScore: 92,
      campaignId: 'CAMP-7',
      attribution: { firstTouch: 'paid_search', lastTouch: 'webinar', touches: ['paid_search', 'webinar'] },
    });
    const state = given([...history, rescored!]).state;
    expect(state).to.include({ marketingScore: 92, campaignId: 'CAMP-7' });
  });

  it('a known lead keeps its own data: nothing but the marketing view changes', () => {
    const history = given([]).when(sync(85, ['email'])).events() as LeadEvent[];
    const events = given(history).when({ ...sync(85, ['email', 'webinar']), create: { ...sync(1, null).create, company: 'Other' } }).events();
    expect(events.map((e) => e.type)).to.deep.equal(['LeadMarketingSyncedEvent']);
    expect(events[0]!.data).to.deep.include({ changedFields: ['attribution'] });
  });
});
