import { leadAggregate } from '../aggregates/lead/index.js';
import type { LeadQualified } from '../aggregates/lead/events.js';
import { taskAggregate } from '../aggregates/task/index.js';
import { loadAggregate } from '../commands/load.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { dueDay } from './dueDate.js';
import { type Workflow, command, derivedId } from './workflow.js';

/** Seed 003's LeadQualificationWorkflow: "create follow-up task if qualified". */
export const LEAD_FOLLOW_UP = 'lead-follow-up';

/** Days after the qualification the follow-up is due (at the end of that UTC day). */
export const FOLLOW_UP_DAYS = 2;

/**
 * A qualified lead gets one follow-up task: assigned to the lead's owner, about the lead, named
 * for its company, due FOLLOW_UP_DAYS after the qualification. The task id derives from the
 * LeadQualifiedEvent, so a replay or a retry finds it there; a lead qualified again later (after
 * a re-score) is a new qualification and gets a new follow-up.
 */
export const leadFollowUp: Workflow = {
  name: LEAD_FOLLOW_UP,
  version: 1,
  eventTypes: ['LeadQualifiedEvent'],
  history: 'skip',
  async react(event, { store }) {
    const qualified = event as StoredEvent<LeadQualified>;
    // The lead as it was when qualified: its owner then, whatever happened since.
    const { state: lead } = await loadAggregate(store, leadAggregate, event.tenantId, event.aggregateId, { upToRevision: event.revision });
    if (!lead.exists) return [];
    const taskId = derivedId(LEAD_FOLLOW_UP, event);
    const company = lead.companyName?.trim();
    return [
      command(
        taskAggregate,
        taskId,
        {
          type: 'CreateTask',
          taskId,
          title: company ? `Follow up with ${company}` : `Follow up on qualified lead ${lead.leadId}`,
          description: `Lead ${lead.leadId} qualified with score ${qualified.payload.score} (threshold ${qualified.payload.threshold}).`,
          assigneeId: lead.ownerId,
          relatedTo: { type: 'lead', id: lead.leadId },
          dueDate: dueDay(event.timestamp, FOLLOW_UP_DAYS, new Date()),
          priority: 'high',
          taskType: 'follow_up',
        },
        { creates: true },
      ),
    ];
  },
};
