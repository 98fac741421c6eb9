import { fold } from '../aggregates/decider.js';
import { opportunityAggregate } from '../aggregates/opportunity/index.js';
import type { OpportunityEvent } from '../aggregates/opportunity/events.js';
import { type StageTaskTemplateEvent, stageTaskTemplateAggregate } from '../aggregates/stageTaskTemplate/index.js';
import { taskAggregate } from '../aggregates/task/index.js';
import { loadAggregate } from '../commands/load.js';
import { type StoredEvent, fromRecorded, toDomainEvent } from '../eventstore/envelope.js';
import { comparePositions } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { dueDay } from './dueDate.js';
import { type Workflow, type WorkflowReads, command, derivedId } from './workflow.js';

/** Seed 003's OpportunityWorkflow: "create stage-specific tasks" when a deal enters a stage. */
export const STAGE_TASKS = 'stage-tasks';

/** The stage a deal entered with this event: its first, a move, or a close (a move to a won/lost stage). */
function enteredStage(event: StoredEvent<OpportunityEvent>): string | undefined {
  const e = toDomainEvent(event);
  switch (e.type) {
    case 'OpportunityCreatedEvent':
      return e.data.stage;
    case 'OpportunityStageChangedEvent':
    case 'OpportunityClosedWonEvent':
    case 'OpportunityClosedLostEvent':
      return e.data.toStage;
    default:
      return undefined;
  }
}

/**
 * The stage's template as it stood when the deal entered: its events before the entry in the
 * log's global order, so that a replay (or a late run) ignores later edits. The stream is read
 * once per batch and stage (most stages have none: one read per event made the workflow lag).
 */
async function templateAt(reads: WorkflowReads, entry: StoredEvent, stage: string) {
  const stream = streamName({ category: stageTaskTemplateAggregate.category, tenantId: entry.tenantId, aggregateId: stage });
  const events = await reads.batchRead(stream, () => reads.store.readStream(stream));
  const before = events.filter((r) => comparePositions(r.position, entry.position) < 0);
  return fold(stageTaskTemplateAggregate.decider, before.map((r) => toDomainEvent(fromRecorded<StageTaskTemplateEvent>(r))));
}

/**
 * Every entry of a deal into a stage gets that stage's template tasks, about the deal, assigned
 * per each task's rule (the owner when it entered, or a named user), due N days after the entry.
 * Task ids derive from the entry event and the task's place in the template: exactly once per
 * entry, whatever replays. Moving back and forward again is a new entry with new tasks.
 */
export const stageTasks: Workflow = {
  name: STAGE_TASKS,
  version: 1,
  eventTypes: ['OpportunityCreatedEvent', 'OpportunityStageChangedEvent', 'OpportunityClosedWonEvent', 'OpportunityClosedLostEvent'],
  history: 'skip',
  async react(event, reads) {
    const entry = event as StoredEvent<OpportunityEvent>;
    const stage = enteredStage(entry);
    if (!stage) return [];
    const template = await templateAt(reads, entry, stage);
    if (template.tasks.length === 0) return [];
    const { state: deal } = await loadAggregate(reads.store, opportunityAggregate, event.tenantId, event.aggregateId, { upToRevision: event.revision });
    if (!deal.exists) return [];
    const now = new Date();
    return template.tasks.map((t, i) => {
      const taskId = derivedId(STAGE_TASKS, event, String(i));
      return command(
        taskAggregate,
        taskId,
        {
          type: 'CreateTask',
          taskId,
          title: t.title,
          ...(t.description ? { description: t.description } : {}),
          assigneeId: t.assignee.rule === 'user' ? t.assignee.userId : deal.ownerId,
          relatedTo: { type: 'opportunity', id: deal.opportunityId },
          dueDate: dueDay(event.timestamp, t.dueInDays, now),
          priority: t.priority,
          taskType: t.taskType,
        },
        { creates: true },
      );
    });
  },
};
