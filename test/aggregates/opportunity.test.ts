import { expect } from 'chai';
import { type OpportunityCommand, type OpportunityEvent, dealScoreOf, opportunityDecider } from '../../src/aggregates/opportunity/index.js';
import { DEFAULT_STAGE_SET, type StageSet } from '../../src/aggregates/pipelineStage/stages.js';
import { fold } from '../../src/aggregates/decider.js';
import { parseAmount } from '../../src/shared/money.js';
import { create, created, ctx, given, money, stages, toNegotiation, won } from './opportunityFixtures.js';

describe('Opportunity decider', () => {
  describe('create', () => {
    it('records the seed 000 payload, stage normalised, probability from the stage, owner defaulting to the actor', () => {
      given([]).when(create).then([created]);
    });

    it('takes an explicit probability, owner and seed 004 "discovery" as PROSPECTING', () => {
      const events = opportunityDecider.decide(
        { ...create, stage: 'Discovery', probability: 20, ownerId: 'user-9' },
        opportunityDecider.initialState,
        ctx,
      );
      expect(events[0]!.data).to.include({ stage: 'PROSPECTING', probability: 20, ownerId: 'user-9' });
    });

    it('refuses an existing opportunity', () => {
      given([created]).when(create).thenFails('CONFLICT', /already exists/);
    });

    it('refuses a stage outside the tenant stage set, listing the allowed ones', () => {
      const err = given([]).when({ ...create, stage: 'BARGAINING' }).thenFails('VALIDATION_ERROR');
      expect(err.details.allowed_stages).to.include('NEGOTIATION');
    });

    it('refuses to create straight into a closed stage', () => {
      given([]).when({ ...create, stage: 'closed_won' }).thenFails('VALIDATION_ERROR');
    });
  });

  describe('change stage', () => {
    it('records from and to stage with the new stage default probability', () => {
      given([created]).when({ type: 'ChangeStage', stages, stage: 'NEGOTIATION' }).then([toNegotiation]);
    });

    it('keeps an explicit probability, next step and notes', () => {
      given([created])
        .when({ type: 'ChangeStage', stages, stage: 'proposal', probability: 55, nextStep: 'Send proposal', notes: 'custom pricing' })
        .then([
          {
            type: 'OpportunityStageChangedEvent',
            data: { opportunityId: 'OPP-100', fromStage: 'QUALIFICATION', toStage: 'PROPOSAL', probability: 55, nextStep: 'Send proposal', notes: 'custom pricing' },
          },
        ]);
    });

    it('to the same stage with nothing new records nothing', () => {
      given([created, toNegotiation]).when({ type: 'ChangeStage', stages, stage: 'negotiation' }).then([]);
    });

    it('to a won stage closes the opportunity as won', () => {
      given([created, toNegotiation]).when({ type: 'ChangeStage', stages, stage: 'CLOSED_WON' }).then([won]);
    });

    it('to a lost stage needs a reason', () => {
      given([created]).when({ type: 'ChangeStage', stages, stage: 'closed_lost' }).thenFails('VALIDATION_ERROR', /reason/);
    });

    it('on a missing opportunity is NOT_FOUND', () => {
      given([]).when({ type: 'ChangeStage', stages, stage: 'PROPOSAL' }).thenFails('NOT_FOUND');
    });

    it('refuses an unknown stage', () => {
      given([created]).when({ type: 'ChangeStage', stages, stage: 'limbo' }).thenFails('VALIDATION_ERROR', /Unknown stage/);
    });
  });

  describe('close', () => {
    it('won: the seed 000 closed-won payload, close date from the clock by default', () => {
      given([created, toNegotiation]).when({ type: 'CloseOpportunity', stages, outcome: 'won' }).then([won]);
    });

    it('lost: with its reason and the given close date', () => {
      given([created])
        .when({ type: 'CloseOpportunity', stages, outcome: 'lost', reason: ' Went with competitor ', closeDate: '2026-03-01' })
        .then([
          {
            type: 'OpportunityClosedLostEvent',
            data: {
              opportunityId: 'OPP-100',
              customerId: 'CUST-100',
              amount: money('120000.00'),
              currency: 'USD',
              closeDate: '2026-03-01',
              fromStage: 'QUALIFICATION',
              toStage: 'CLOSED_LOST',
              reason: 'Went with competitor',
            },
          },
        ]);
    });

    it('nothing changes after a close', () => {
      given([created, won]).when({ type: 'ChangeStage', stages, stage: 'PROPOSAL' }).thenFails('CONFLICT', /closed/);
      given([created, won]).when({ type: 'CloseOpportunity', stages, outcome: 'lost', reason: 'x' }).thenFails('CONFLICT');
      given([created, won]).when({ type: 'UpdateOpportunity', amount: money('1.00') }).thenFails('CONFLICT');
    });
  });

  describe('update', () => {
    it('records only the fields that change', () => {
      given([created])
        .when({ type: 'UpdateOpportunity', amount: money('120000'), expectedCloseDate: '2026-04-30' })
        .then([
          {
            type: 'OpportunityUpdatedEvent',
            data: { opportunityId: 'OPP-100', changedFields: ['expectedCloseDate'], expectedCloseDate: '2026-04-30' },
          },
        ]);
    });

    it('folds an amount change into the state that a later close reports', () => {
      const updated: OpportunityEvent = {
        type: 'OpportunityUpdatedEvent',
        data: { opportunityId: 'OPP-100', changedFields: ['amount'], amount: money('99999999999999.99') },
      };
      const [event] = opportunityDecider.decide(
        { type: 'CloseOpportunity', stages, outcome: 'won' },
        fold(opportunityDecider, [created, updated]),
        ctx,
      );
      expect(event!.data).to.include({ amount: '99999999999999.99' });
    });
  });
});

describe('money', () => {
  it('accepts at most 2 decimals and 16 integer digits, never negative', () => {
    expect(parseAmount('120000')).to.equal('120000.00');
    expect(parseAmount('0.1')).to.equal('0.10');
    expect(parseAmount('007.5')).to.equal('7.50');
    expect(parseAmount('9999999999999999.99')).to.equal('9999999999999999.99');
    for (const bad of ['1.005', '-1', '10000000000000000', '1e3', '', 'abc', '1.', '.5', '0x10']) {
      expect(parseAmount(bad), bad).to.equal(undefined);
    }
  });
});

describe('Opportunity decider: the tenant stage set transitions', () => {
  // Seed 004's example: from discovery (PROSPECTING) only to qualification or proposal.
  const restricted: StageSet = {
    ...DEFAULT_STAGE_SET,
    transitions: { ...DEFAULT_STAGE_SET.transitions, PROSPECTING: ['QUALIFICATION', 'PROPOSAL'], QUALIFICATION: ['PROPOSAL', 'CLOSED_LOST'] },
  };
  const inProspecting: OpportunityEvent = { ...created, data: { ...(created.data as object), stage: 'PROSPECTING', probability: 10 } } as OpportunityEvent;

  it('a move the configuration forbids is seed 004 "Invalid opportunity stage transition" with current, requested and allowed stages', () => {
    const err = given([inProspecting])
      .when({ type: 'ChangeStage', stages: restricted, stage: 'closed_won' })
      .thenFails('VALIDATION_ERROR', /^Invalid opportunity stage transition$/);
    expect(err.details).to.deep.equal({ current_stage: 'PROSPECTING', requested_stage: 'CLOSED_WON', allowed_stages: ['QUALIFICATION', 'PROPOSAL'] });
    given([inProspecting]).when({ type: 'ChangeStage', stages: restricted, stage: 'NEGOTIATION' }).thenFails('VALIDATION_ERROR', /transition/);
  });

  it('an allowed move is recorded as before', () => {
    given([inProspecting])
      .when({ type: 'ChangeStage', stages: restricted, stage: 'proposal' })
      .then([
        {
          type: 'OpportunityStageChangedEvent',
          data: { opportunityId: 'OPP-100', fromStage: 'PROSPECTING', toStage: 'PROPOSAL', probability: 50, nextStep: null, notes: null },
        },
      ]);
  });

  it('staying in the current stage is always allowed', () => {
    given([inProspecting]).when({ type: 'ChangeStage', stages: restricted, stage: 'discovery', probability: 15 }).then([
      { type: 'OpportunityUpdatedEvent', data: { opportunityId: 'OPP-100', changedFields: ['probability'], probability: 15 } },
    ]);
  });

  it('a close is a move too: forbidden from a stage that may not reach the won/lost stage', () => {
    const won = given([inProspecting]).when({ type: 'CloseOpportunity', stages: restricted, outcome: 'won' }).thenFails('VALIDATION_ERROR', /transition/);
    expect(won.details).to.deep.equal({ current_stage: 'PROSPECTING', requested_stage: 'CLOSED_WON', allowed_stages: ['QUALIFICATION', 'PROPOSAL'] });
    given([created]).when({ type: 'CloseOpportunity', stages: restricted, outcome: 'won' }).thenFails('VALIDATION_ERROR', /transition/);
    // QUALIFICATION may go to CLOSED_LOST.
    const [lost] = opportunityDecider.decide({ type: 'CloseOpportunity', stages: restricted, outcome: 'lost', reason: 'budget' }, fold(opportunityDecider, [created]), ctx);
    expect(lost!.type).to.equal('OpportunityClosedLostEvent');
  });

  it('a close picks the first stage of that kind the transitions allow', () => {
    const twoLost: StageSet = {
      stages: [...DEFAULT_STAGE_SET.stages, { code: 'DISQUALIFIED', name: 'Disqualified', order: 7, probability: 0, kind: 'lost' }],
      aliases: {},
      transitions: { ...DEFAULT_STAGE_SET.transitions, PROSPECTING: ['QUALIFICATION', 'DISQUALIFIED'], DISQUALIFIED: [] },
    };
    const [lost] = opportunityDecider.decide({ type: 'CloseOpportunity', stages: twoLost, outcome: 'lost', reason: 'spam' }, fold(opportunityDecider, [inProspecting]), ctx);
    expect(lost!.data).to.include({ fromStage: 'PROSPECTING', toStage: 'DISQUALIFIED' });
  });

  it('an opportunity in a stage the tenant retired may move anywhere in the set', () => {
    const retired = { ...created, data: { ...(created.data as object), stage: 'LEGACY' } } as OpportunityEvent;
    const [moved] = opportunityDecider.decide({ type: 'ChangeStage', stages: restricted, stage: 'NEGOTIATION' }, fold(opportunityDecider, [retired]), ctx);
    expect(moved!.data).to.include({ fromStage: 'LEGACY', toStage: 'NEGOTIATION' });
  });

  it('an opportunity in a stage the tenant renamed (old code kept as an alias) may move to the new code', () => {
    const renamed: StageSet = {
      stages: DEFAULT_STAGE_SET.stages.map((s) => (s.code === 'PROSPECTING' ? { ...s, code: 'LEAD' } : s)),
      aliases: { PROSPECTING: 'LEAD' },
      transitions: { ...DEFAULT_STAGE_SET.transitions, LEAD: ['QUALIFICATION'] },
    };
    const [moved] = opportunityDecider.decide({ type: 'ChangeStage', stages: renamed, stage: 'lead' }, fold(opportunityDecider, [inProspecting]), ctx);
    expect(moved!.data).to.include({ fromStage: 'PROSPECTING', toStage: 'LEAD' });
    given([inProspecting]).when({ type: 'ChangeStage', stages: renamed, stage: 'PROPOSAL' }).thenFails('VALIDATION_ERROR', /transition/);
  });

  it('an unknown stage is still "Unknown stage", checked before the transition', () => {
    given([inProspecting]).when({ type: 'ChangeStage', stages: restricted, stage: 'limbo' }).thenFails('VALIDATION_ERROR', /Unknown stage/);
  });
});

describe('Opportunity decider: consumed events of other contexts', () => {
  const holds = new Set(['CUST-100']);

  it('a credit hold on the customer blocks closing as won, by close or by stage', () => {
    const err = given([created, toNegotiation]).when({ type: 'CloseOpportunity', stages, outcome: 'won', creditHolds: holds }).thenFails('CONFLICT', /credit limit/);
    expect(err.details).to.deep.equal({ customer_id: 'CUST-100', reason: 'CREDIT_LIMIT_EXCEEDED' });
    given([created, toNegotiation]).when({ type: 'ChangeStage', stages, stage: 'CLOSED_WON', creditHolds: holds }).thenFails('CONFLICT');
  });

  it('a credit hold does not stop a loss, another move, or another customer', () => {
    const lost = opportunityDecider.decide({ type: 'CloseOpportunity', stages, outcome: 'lost', reason: 'budget', creditHolds: holds }, fold(opportunityDecider, [created]), ctx);
    expect(lost[0]!.type).to.equal('OpportunityClosedLostEvent');
    given([created]).when({ type: 'ChangeStage', stages, stage: 'NEGOTIATION', creditHolds: holds }).then([toNegotiation]);
    given([created, toNegotiation]).when({ type: 'CloseOpportunity', stages, outcome: 'won', creditHolds: new Set(['CUST-OTHER']) }).then([won]);
  });

  const attach: OpportunityCommand = {
    type: 'AttachPricingSnapshot',
    quoteId: 'Q-1',
    totalAmount: money('4800.50'),
    currency: 'USD',
    validUntil: '2026-12-31',
    sourceEventId: 'evt-9',
  };
  const attached: OpportunityEvent = {
    type: 'OpportunityPricingSnapshotAttachedEvent',
    data: { opportunityId: 'OPP-100', quoteId: 'Q-1', totalAmount: money('4800.50'), currency: 'USD', validUntil: '2026-12-31', sourceEventId: 'evt-9' },
  };

  it('a quote attaches its pricing once; a redelivery changes nothing', () => {
    given([created]).when(attach).then([attached]);
    given([created, attached]).when(attach).then([]);
    given([created, attached]).when({ ...attach, quoteId: 'Q-2' }).then([{ ...attached, data: { ...attached.data, quoteId: 'Q-2' } }]);
  });

  it('a quote for a missing or closed opportunity is refused', () => {
    given([]).when(attach).thenFails('NOT_FOUND');
    given([created, won]).when(attach).thenFails('CONFLICT');
  });
});

describe('deal score (seed 004 deal_score: a documented rubric over the deal’s own facts)', () => {
  const seed004: OpportunityCommand = {
    type: 'CreateOpportunity',
    stages,
    opportunityId: 'OPP-S4',
    name: 'Acme Corp - Enterprise Plan',
    customerId: 'CUST-100',
    leadId: 'LEAD-1',
    stage: 'discovery',
    amount: money('120000.00'),
    currency: 'USD',
    probability: 20,
    expectedCloseDate: '2026-04-30',
    products: [{ productId: 'prod_123', quantity: 100, unitPrice: money('100.00') }],
    metadata: { competition: ['Competitor A'], decision_criteria: ['price', 'features', 'support'] },
  };
  const score = (events: OpportunityEvent[]) => {
    const s = fold(opportunityDecider, events);
    return s.exists ? dealScoreOf(s) : undefined;
  };

  it("seed 004's example: 65 when created, 72 once in proposal at 50 % with a next step", () => {
    const created = given([]).when(seed004).events() as OpportunityEvent[];
    expect(score(created)).to.equal(65);
    const moved = given(created).when({ type: 'ChangeStage', stages, stage: 'proposal', probability: 50, nextStep: 'Send proposal by Friday' }).events() as OpportunityEvent[];
    expect(score([...created, ...moved])).to.equal(72);
  });

  it('slipped close dates and lowered probabilities cost points, within their caps; won is 100, lost 0', () => {
    let events = given([]).when(seed004).events() as OpportunityEvent[];
    for (const date of ['2026-05-31', '2026-06-30', '2026-07-31', '2026-08-31', '2026-09-30']) {
      events = [...events, ...(given(events).when({ type: 'UpdateOpportunity', expectedCloseDate: date }).events() as OpportunityEvent[])];
    }
    expect(score(events)).to.equal(65 - 20); // five pushes, capped at four
    events = [...events, ...(given(events).when({ type: 'UpdateOpportunity', expectedCloseDate: '2026-01-31' }).events() as OpportunityEvent[])];
    expect(score(events)).to.equal(45); // an earlier date is no slip
    events = [...events, ...(given(events).when({ type: 'ChangeStage', stages, stage: 'qualification', probability: 10 }).events() as OpportunityEvent[])];
    expect(score(events)).to.equal(45 - 1 - 5); // probability 20 → 10 (2 → 1 point), one drop
    const won = given(events).when({ type: 'CloseOpportunity', stages, outcome: 'won' }).events() as OpportunityEvent[];
    expect(score([...events, ...won])).to.equal(100);
    const lost = given(events).when({ type: 'CloseOpportunity', stages, outcome: 'lost', reason: 'budget' }).events() as OpportunityEvent[];
    expect(score([...events, ...lost])).to.equal(0);
  });
});
