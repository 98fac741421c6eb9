import { expect } from 'chai';
import { DEFAULT_STAGE_SET } from '../../src/aggregates/pipelineStage/stages.js';
import { MAX_TEMPLATE_TASKS, type StageTaskTemplateEvent, type TemplateTask, stageTaskTemplateDecider } from '../../src/aggregates/stageTaskTemplate/index.js';
import { givenWhenThen } from '../support/decider.js';

/** Per-stage task templates: given events, when a command, then events or an error. */
const ctx = { now: new Date('2026-03-02T10:00:00.000Z'), actorId: 'admin-1' };
const given = givenWhenThen(stageTaskTemplateDecider, ctx);

const sendProposal: TemplateTask = {
  title: 'Send the proposal',
  description: 'Pricing from the latest quote',
  taskType: 'email',
  priority: 'high',
  dueInDays: 2,
  assignee: { rule: 'opportunity_owner' },
};
const review: TemplateTask = { title: 'Legal review', description: null, taskType: 'other', priority: 'normal', dueInDays: 5, assignee: { rule: 'user', userId: 'legal-1' } };
const configure = (tasks: readonly TemplateTask[], stage = 'PROPOSAL') => ({ type: 'ConfigureStageTaskTemplate', stage, stages: DEFAULT_STAGE_SET, tasks }) as const;
const configured = (tasks: TemplateTask[], by = 'admin-1'): StageTaskTemplateEvent => ({
  type: 'StageTaskTemplateConfiguredEvent',
  data: { stage: 'PROPOSAL', tasks, configuredBy: by },
});

describe('Stage task template decider', () => {
  it("records a stage's whole template with its actor", () => {
    given([]).when(configure([sendProposal, review])).then([configured([sendProposal, review])]);
    expect(given([configured([sendProposal])]).state).to.deep.equal({ stage: 'PROPOSAL', tasks: [sendProposal] });
  });

  it('replaces the template as a whole; re-sending the one in force records nothing', () => {
    given([configured([sendProposal, review])]).when(configure([review])).then([configured([review])]);
    given([configured([sendProposal])]).when(configure([sendProposal])).then([]);
  });

  it('an empty list clears the template (nothing to record when there never was one)', () => {
    given([configured([sendProposal])]).when(configure([])).then([configured([])]);
    given([]).when(configure([])).then([]);
  });

  it("refuses a stage the tenant's set does not hold, naming the allowed ones", () => {
    const err = given([]).when(configure([sendProposal], 'NIRVANA')).thenFails('VALIDATION_ERROR', /Unknown stage "NIRVANA"/);
    expect(err.details).to.include({ requested_stage: 'NIRVANA' });
    expect(err.details.allowed_stages).to.include('PROPOSAL');
  });

  it('refuses too many tasks and due days outside 0..365, every problem at once', () => {
    const err = given([])
      .when(configure([...Array.from({ length: MAX_TEMPLATE_TASKS }, () => sendProposal), { ...review, dueInDays: 366 }, { ...review, dueInDays: -1 }]))
      .thenFails('VALIDATION_ERROR', /Invalid task template/);
    expect((err.details.fields as { field: string }[]).map((f) => f.field)).to.deep.equal(['tasks', `tasks.${MAX_TEMPLATE_TASKS}.due_in_days`, `tasks.${MAX_TEMPLATE_TASKS + 1}.due_in_days`]);
    given([]).when(configure([{ ...review, dueInDays: 0 }])).then([configured([{ ...review, dueInDays: 0 }])]);
  });
});
