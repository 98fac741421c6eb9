import { givenWhenThen } from '../support/decider.js';
import { expect } from 'chai';
import { fold } from '../../src/aggregates/decider.js';
import {
  DEFAULT_STAGE_SET,
  type PipelineStageCommand,
  type PipelineStageEvent,
  type StageInput,
  allowedTargets,
  findStage,
  pipelineStageAggregate,
  pipelineStageDecider,
} from '../../src/aggregates/pipelineStage/index.js';
import { DomainError } from '../../src/shared/errors.js';

/** Given events, when a command, then events or an error: the PipelineStage decider alone. */
const ctx = { now: new Date('2026-02-02T11:10:00Z'), actorId: 'admin-1' };

const given = givenWhenThen(pipelineStageDecider, ctx);

/** The field names a validation error reports in details.fields. */
const fieldsOf = (err: DomainError) => (err.details.fields as { field: string; message: string }[]).map((f) => f.field);
const messagesOf = (err: DomainError) => (err.details.fields as { field: string; message: string }[]).map((f) => `${f.field}: ${f.message}`);

const stagesInput: StageInput[] = [
  { code: 'prospecting', name: 'Prospecting', order: 1, probability: 10, kind: 'open' },
  { code: 'Qualification', name: 'Qualification', order: 2, probability: 30, kind: 'open' },
  { code: 'PROPOSAL', name: 'Proposal', order: 3, probability: 60, kind: 'open' },
  { code: 'closed-won', name: 'Won', order: 4, probability: 100, kind: 'won' },
  { code: 'closed lost', name: 'Lost', order: 5, probability: 0, kind: 'lost' },
];

const configure: PipelineStageCommand = {
  type: 'ConfigureStages',
  stages: stagesInput,
  transitions: { discovery: ['qualification', 'proposal'], qualification: ['PROPOSAL', 'closed_lost'] },
  aliases: { Discovery: 'prospecting' },
};

const configured: PipelineStageEvent = {
  type: 'PipelineStagesConfiguredEvent',
  data: {
    stages: [
      { code: 'PROSPECTING', name: 'Prospecting', order: 1, probability: 10, kind: 'open' },
      { code: 'QUALIFICATION', name: 'Qualification', order: 2, probability: 30, kind: 'open' },
      { code: 'PROPOSAL', name: 'Proposal', order: 3, probability: 60, kind: 'open' },
      { code: 'CLOSED_WON', name: 'Won', order: 4, probability: 100, kind: 'won' },
      { code: 'CLOSED_LOST', name: 'Lost', order: 5, probability: 0, kind: 'lost' },
    ],
    transitions: {
      PROSPECTING: ['QUALIFICATION', 'PROPOSAL'],
      QUALIFICATION: ['PROPOSAL', 'CLOSED_LOST'],
      // Not given: an open stage may move to any other stage.
      PROPOSAL: ['PROSPECTING', 'QUALIFICATION', 'CLOSED_WON', 'CLOSED_LOST'],
      CLOSED_WON: [],
      CLOSED_LOST: [],
    },
    aliases: { DISCOVERY: 'PROSPECTING' },
  },
};

describe('PipelineStage aggregate', () => {
  it('is its own category, one stream per tenant', () => {
    expect(pipelineStageAggregate.category).to.equal('pipelineStage');
  });

  describe('the default set (seed 003)', () => {
    it('allows every move from an open stage to any other stage, none out of a closed one', () => {
      expect(allowedTargets(DEFAULT_STAGE_SET, 'PROSPECTING')).to.deep.equal(['QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST']);
      expect(allowedTargets(DEFAULT_STAGE_SET, 'discovery')).to.deep.equal(allowedTargets(DEFAULT_STAGE_SET, 'PROSPECTING'));
      expect(allowedTargets(DEFAULT_STAGE_SET, 'CLOSED_WON')).to.deep.equal([]);
      expect(allowedTargets(DEFAULT_STAGE_SET, 'closed_lost')).to.deep.equal([]);
    });

    it('lets an opportunity left in a retired stage move to any stage of the set', () => {
      expect(allowedTargets(DEFAULT_STAGE_SET, 'RETIRED')).to.deep.equal(DEFAULT_STAGE_SET.stages.map((s) => s.code));
    });

    it('is the state of a tenant that never configured', () => {
      expect(pipelineStageDecider.initialState).to.deep.equal({ configured: false, set: DEFAULT_STAGE_SET });
    });
  });

  describe('configure', () => {
    it('records the whole set normalised: UPPER_SNAKE codes, aliases resolved, transitions in stage order, missing ones open', () => {
      given([]).when(configure).then([configured]);
    });

    it('the fold of the stream is the configured set, aliases working as on the defaults', () => {
      const { set } = fold(pipelineStageDecider, [configured]);
      expect(findStage(set, 'Discovery')?.code).to.equal('PROSPECTING');
      expect(findStage(set, 'closed won')?.code).to.equal('CLOSED_WON');
      expect(findStage(set, 'NEGOTIATION')).to.equal(undefined);
      expect(allowedTargets(set, 'discovery')).to.deep.equal(['QUALIFICATION', 'PROPOSAL']);
    });

    it('sorts stages by order, whatever order they come in, and orders default to the position', () => {
      const [event] = given([])
        .when({
          type: 'ConfigureStages',
          stages: [
            { code: 'LOST', name: 'Lost', order: 9, probability: 0, kind: 'lost' },
            { code: 'WON', name: 'Won', order: 8, probability: 100, kind: 'won' },
            { code: 'OPEN', name: 'Open', order: 1, probability: 50, kind: 'open' },
          ],
        })
        .events();
      expect((event!.data as { stages: { code: string }[] }).stages.map((s) => s.code)).to.deep.equal(['OPEN', 'WON', 'LOST']);
      const [positional] = given([])
        .when({ type: 'ConfigureStages', stages: stagesInput.map(({ order: _order, ...s }) => s) })
        .events();
      expect((positional!.data as { stages: { order: number }[] }).stages.map((s) => s.order)).to.deep.equal([1, 2, 3, 4, 5]);
    });

    it('re-sending the configured set records nothing, however it is spelled', () => {
      given([configured])
        .when({ ...configure, transitions: { PROSPECTING: ['proposal', 'QUALIFICATION', 'qualification'], QUALIFICATION: ['closed_lost', 'proposal'] } })
        .then([]);
    });

    it('configuring the defaults on a fresh stream is recorded (it pins them for the tenant)', () => {
      const events = given([])
        .when({ type: 'ConfigureStages', stages: DEFAULT_STAGE_SET.stages, aliases: DEFAULT_STAGE_SET.aliases })
        .events();
      expect(events).to.have.length(1);
      expect(fold(pipelineStageDecider, [...events]).set).to.deep.equal(DEFAULT_STAGE_SET);
    });

    it('a new set replaces the old one entirely', () => {
      const { set } = fold(pipelineStageDecider, [
        configured,
        ...given([configured]).when({ type: 'ConfigureStages', stages: DEFAULT_STAGE_SET.stages }).events(),
      ]);
      expect(set.stages).to.deep.equal(DEFAULT_STAGE_SET.stages);
      expect(set.aliases).to.deep.equal({});
      expect(set.transitions).to.deep.equal(DEFAULT_STAGE_SET.transitions);
    });

    it('refuses duplicate codes (after normalisation) and orders', () => {
      const err = given([])
        .when({
          type: 'ConfigureStages',
          stages: [...stagesInput, { code: 'Proposal', name: 'Again', order: 3, probability: 50, kind: 'open' }],
        })
        .thenFails('VALIDATION_ERROR', /Invalid stage configuration/);
      expect(fieldsOf(err)).to.deep.equal(['stages.5.code', 'stages.5.order']);
    });

    it('refuses a code that is not UPPER_SNAKE once normalised, and empty names', () => {
      const err = given([])
        .when({ type: 'ConfigureStages', stages: [{ ...stagesInput[0]!, code: '1st stage!', name: '  ' }, ...stagesInput.slice(1)] })
        .thenFails('VALIDATION_ERROR');
      expect(fieldsOf(err)).to.deep.equal(['stages.0.code', 'stages.0.name']);
    });

    it('refuses probabilities outside 0..100 or not integers, and a won stage below 100 or a lost one above 0', () => {
      const stages: StageInput[] = [
        { ...stagesInput[0]!, probability: 101 },
        { ...stagesInput[1]!, probability: 12.5 },
        { ...stagesInput[2]!, probability: -1 },
        { ...stagesInput[3]!, probability: 90 },
        { ...stagesInput[4]!, probability: 5 },
      ];
      const err = given([]).when({ type: 'ConfigureStages', stages }).thenFails('VALIDATION_ERROR');
      expect(messagesOf(err)).to.deep.equal([
        'stages.0.probability: must be an integer from 0 to 100',
        'stages.1.probability: must be an integer from 0 to 100',
        'stages.2.probability: must be an integer from 0 to 100',
        'stages.3.probability: a won stage has probability 100',
        'stages.4.probability: a lost stage has probability 0',
      ]);
    });

    it('needs at least one open, one won and one lost stage', () => {
      const onlyOpen = given([]).when({ type: 'ConfigureStages', stages: stagesInput.slice(0, 3) }).thenFails('VALIDATION_ERROR');
      expect(messagesOf(onlyOpen)).to.deep.equal(['stages: at least one won stage is required', 'stages: at least one lost stage is required']);
      const noOpen = given([]).when({ type: 'ConfigureStages', stages: stagesInput.slice(3) }).thenFails('VALIDATION_ERROR');
      expect(messagesOf(noOpen)).to.deep.equal(['stages: at least one open stage is required']);
      given([]).when({ type: 'ConfigureStages', stages: [] }).thenFails('VALIDATION_ERROR');
    });

    it('allows several won or lost stages', () => {
      const events = given([])
        .when({ type: 'ConfigureStages', stages: [...stagesInput, { code: 'DISQUALIFIED', name: 'Disqualified', order: 6, probability: 0, kind: 'lost' }] })
        .events();
      expect(events).to.have.length(1);
    });

    it('refuses transitions naming unknown stages, a stage itself, or leaving a won/lost stage', () => {
      const err = given([])
        .when({
          ...configure,
          transitions: { NOWHERE: ['PROPOSAL'], PROSPECTING: ['LIMBO', 'PROSPECTING', 'PROPOSAL'], closed_won: ['PROPOSAL'] },
        })
        .thenFails('VALIDATION_ERROR');
      expect(messagesOf(err)).to.deep.equal([
        'transitions.NOWHERE: unknown stage NOWHERE',
        'transitions.PROSPECTING: unknown stage LIMBO',
        'transitions.PROSPECTING: PROSPECTING cannot list itself: staying in a stage is always allowed',
        'transitions.closed_won: no transitions out of the won stage CLOSED_WON: a closed opportunity never moves',
      ]);
    });

    it('refuses the same from-stage twice (by code and alias)', () => {
      const err = given([]).when({ ...configure, transitions: { PROSPECTING: ['PROPOSAL'], discovery: ['QUALIFICATION'] } }).thenFails('VALIDATION_ERROR');
      expect(fieldsOf(err)).to.deep.equal(['transitions.discovery']);
    });

    it('accepts an explicit empty list out of a closed stage', () => {
      expect(given([]).when({ ...configure, transitions: { ...configure.transitions, CLOSED_WON: [] } }).events()).to.deep.equal([configured]);
    });

    it('refuses an open stage from which no won or lost stage can be reached', () => {
      const err = given([])
        .when({ ...configure, transitions: { PROSPECTING: ['QUALIFICATION'], QUALIFICATION: ['PROSPECTING'] } })
        .thenFails('VALIDATION_ERROR');
      expect(messagesOf(err)).to.deep.equal([
        'transitions.PROSPECTING: no path from PROSPECTING to a won or lost stage',
        'transitions.QUALIFICATION: no path from QUALIFICATION to a won or lost stage',
      ]);
      given([]).when({ ...configure, transitions: { PROPOSAL: [] } }).thenFails('VALIDATION_ERROR');
    });

    it('refuses aliases that are stage codes, point nowhere, or are not codes', () => {
      const err = given([])
        .when({ ...configure, transitions: {}, aliases: { proposal: 'PROSPECTING', pitch: 'LIMBO', '?!': 'PROPOSAL' } })
        .thenFails('VALIDATION_ERROR');
      expect(messagesOf(err)).to.deep.equal([
        'aliases.proposal: PROPOSAL is a stage code; an alias must differ from every code',
        'aliases.pitch: unknown stage LIMBO',
        'aliases.?!: an alias must be letters, digits and _ (1-64), starting with a letter',
      ]);
    });
  });

  describe('update one stage', () => {
    const renamed: PipelineStageEvent = {
      type: 'PipelineStageUpdatedEvent',
      data: { stageCode: 'PROPOSAL', changedFields: ['name', 'probability'], name: 'Offer sent', probability: 55 },
    };

    it('records only what changes, the stage named in any case or by alias', () => {
      given([configured]).when({ type: 'UpdateStage', stage: 'proposal', name: ' Offer sent ', probability: 55 }).then([renamed]);
      given([configured])
        .when({ type: 'UpdateStage', stage: 'discovery', name: 'Prospecting', probability: 15 })
        .then([{ type: 'PipelineStageUpdatedEvent', data: { stageCode: 'PROSPECTING', changedFields: ['probability'], probability: 15 } }]);
    });

    it('with nothing new records nothing', () => {
      given([configured, renamed]).when({ type: 'UpdateStage', stage: 'PROPOSAL', name: 'Offer sent', probability: 55 }).then([]);
    });

    it('folds into the set, keeping transitions and aliases', () => {
      const { set } = fold(pipelineStageDecider, [configured, renamed]);
      expect(findStage(set, 'PROPOSAL')).to.deep.equal({ code: 'PROPOSAL', name: 'Offer sent', order: 3, probability: 55, kind: 'open' });
      expect(set.transitions).to.deep.equal(configured.data.transitions);
      expect(set.aliases).to.deep.equal({ DISCOVERY: 'PROSPECTING' });
    });

    it('on a never-configured tenant first records the defaults it starts from', () => {
      const events = given([]).when({ type: 'UpdateStage', stage: 'negotiation', probability: 80 }).events();
      expect(events.map((e) => e.type)).to.deep.equal(['PipelineStagesConfiguredEvent', 'PipelineStageUpdatedEvent']);
      const { configured: isConfigured, set } = fold(pipelineStageDecider, [...events]);
      expect(isConfigured).to.equal(true);
      expect(findStage(set, 'NEGOTIATION')?.probability).to.equal(80);
      expect(findStage(set, 'PROPOSAL')?.probability).to.equal(50);
    });

    it('refuses an unknown stage (NOT_FOUND), bad probabilities and empty names', () => {
      given([configured]).when({ type: 'UpdateStage', stage: 'NEGOTIATION', probability: 70 }).thenFails('NOT_FOUND', /Unknown stage/);
      const err = given([configured]).when({ type: 'UpdateStage', stage: 'PROPOSAL', name: ' ', probability: 150 }).thenFails('VALIDATION_ERROR');
      expect(fieldsOf(err)).to.deep.equal(['name', 'probability']);
      given([configured]).when({ type: 'UpdateStage', stage: 'closed_won', probability: 90 }).thenFails('VALIDATION_ERROR');
      given([configured]).when({ type: 'UpdateStage', stage: 'closed_lost', probability: 1 }).thenFails('VALIDATION_ERROR');
    });
  });
});
