import { givenWhenThen } from '../support/decider.js';
import { type OpportunityCommand, type OpportunityEvent, opportunityDecider } from '../../src/aggregates/opportunity/index.js';
import { DEFAULT_STAGE_SET } from '../../src/aggregates/pipelineStage/stages.js';
import { type Amount, parseAmount } from '../../src/shared/money.js';

/** The seed 000 deal OPP-100 as the Opportunity decider tests meet it. */
/** Given events, when a command, then events or an error: the decider needs nothing else. */
export const ctx = { now: new Date('2026-02-02T11:10:00Z'), actorId: 'user-200' };
export const stages = DEFAULT_STAGE_SET;
export const money = (s: string) => parseAmount(s) as Amount;

export const given = givenWhenThen(opportunityDecider, ctx);

export const create: Extract<OpportunityCommand, { type: 'CreateOpportunity' }> = {
  type: 'CreateOpportunity',
  stages,
  opportunityId: 'OPP-100',
  name: 'Acme Corp - Enterprise Plan',
  customerId: 'CUST-100',
  stage: 'qualification',
  amount: money('120000.00'),
  currency: 'USD',
};

export const created: OpportunityEvent = {
  type: 'OpportunityCreatedEvent',
  data: {
    opportunityId: 'OPP-100',
    customerId: 'CUST-100',
    amount: money('120000.00'),
    currency: 'USD',
    stage: 'QUALIFICATION',
    name: 'Acme Corp - Enterprise Plan',
    leadId: null,
    territoryId: null,
    ownerId: 'user-200',
    probability: 25,
    expectedCloseDate: null,
    products: [],
    metadata: {},
  },
};

export const toNegotiation: OpportunityEvent = {
  type: 'OpportunityStageChangedEvent',
  data: { opportunityId: 'OPP-100', fromStage: 'QUALIFICATION', toStage: 'NEGOTIATION', probability: 75, nextStep: null, notes: null },
};

export const won: Extract<OpportunityEvent, { type: 'OpportunityClosedWonEvent' }> = {
  type: 'OpportunityClosedWonEvent',
  data: {
    opportunityId: 'OPP-100',
    customerId: 'CUST-100',
    amount: money('120000.00'),
    currency: 'USD',
    closeDate: '2026-02-02',
    fromStage: 'NEGOTIATION',
    toStage: 'CLOSED_WON',
  },
};
