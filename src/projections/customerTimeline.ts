import type { Knex } from 'knex';
import { ACTIVITY_EVENT_TYPES, type ActivityEvent } from '../aggregates/activity/events.js';
import { CUSTOMER_PROFILE_EVENT_TYPES, type CustomerProfileEvent } from '../aggregates/customerProfile/events.js';
import { OPPORTUNITY_EVENT_TYPES, type OpportunityEvent } from '../aggregates/opportunity/events.js';
import { TASK_EVENT_TYPES, type TaskEvent } from '../aggregates/task/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';
import { selectRows, writeRows } from './rows.js';

export const CUSTOMER_TIMELINE_TABLE = 'customer_timeline';

/**
 * A customer's interactions as recorded in our own log, one row per entry (queries in
 * customerTimelineQueries.ts add what other contexts told us):
 * - profile_change: the profile's events (personal data values never, only changed field names);
 * - stage_change: a deal created in its first stage, or moved; close / order: a deal closed lost
 *   or won, `order` when an order closed it (OpportunityClosedWonEvent with orderId);
 * - activity: an activity done (logged done, or completed), task_completion: a task completed;
 *   one row per activity / task, off the timeline (occurred_at null) while not done.
 * Rows keep what the access policy needs as it stands now (owner, the record it is about), so a
 * reassignment updates them. It reads no other projection's tables: rebuildable on its own.
 */
export type TimelineRecord = 'customer' | 'opportunity' | 'activity' | 'task';

interface Entry {
  readonly entry_id: string;
  readonly kind: string;
  readonly occurred_at: string | Date | null;
  readonly record_type: TimelineRecord;
  readonly record_id: string;
  readonly owner_id: string | null;
  readonly related_type: string | null;
  readonly related_id: string | null;
  readonly details: Record<string, unknown>;
}

type Trx = Knex.Transaction;
type AnyEvent = OpportunityEvent | CustomerProfileEvent | ActivityEvent | TaskEvent;

const insert = (trx: Trx, tenantId: string, entry: Entry) =>
  trx(CUSTOMER_TIMELINE_TABLE)
    .insert({ tenant_id: tenantId, ...entry, details: JSON.stringify(entry.details) })
    .onConflict(['tenant_id', 'entry_id'])
    .ignore();

const entryOf = (trx: Trx, tenantId: string, entryId: string) => trx(CUSTOMER_TIMELINE_TABLE).where({ tenant_id: tenantId, entry_id: entryId });
const ofRecord = (trx: Trx, tenantId: string, type: TimelineRecord, id: string) =>
  trx(CUSTOMER_TIMELINE_TABLE).where({ tenant_id: tenantId, record_type: type, record_id: id });

/** Merges fields into an entry's details (jsonb ||). */
const withDetails = (trx: Trx, fields: Record<string, unknown>) => trx.raw('details || ?::jsonb', [JSON.stringify(fields)]);

function profileDetails(event: CustomerProfileEvent): Record<string, unknown> {
  switch (event.type) {
    case 'CustomerProfileCreatedEvent':
      return { name: event.data.name, status: event.data.status, segment: event.data.segment };
    case 'CustomerProfileUpdatedEvent': {
      const { personalData: _personal, customerId: _id, updatedBy: _by, ...values } = event.data;
      return values;
    }
    case 'ConsentUpdatedEvent':
      return { consentType: event.data.consentType, status: event.data.status };
    case 'CustomerMergedEvent':
      return { sourceCustomerId: event.data.sourceCustomerId, mergeReason: event.data.mergeReason };
    case 'CustomerMergedIntoEvent':
      return { targetCustomerId: event.data.targetCustomerId };
    case 'CustomerPersonalDataErasedEvent':
      return { personalDataErased: true, currentContact: event.data.current };
  }
}

/** What a deal's later entries copy from its first one (created): its name, owner and customer. */
interface FirstEntry {
  readonly owner_id: string | null;
  readonly related_id: string | null;
  readonly details: { opportunityName?: unknown };
}

const firstEntryId = (dealId: string) => `opportunity:${dealId}`;

/** The events that only add an entry (a deal's later ones need its first); the others change rows. */
const DEAL_FOLLOWUPS = new Set(['OpportunityStageChangedEvent', 'OpportunityClosedWonEvent', 'OpportunityClosedLostEvent']);
const ADDING = new Set<string>([...CUSTOMER_PROFILE_EVENT_TYPES, 'OpportunityCreatedEvent', ...DEAL_FOLLOWUPS, 'ActivityCreatedEvent', 'TaskCreatedEvent']);

/** A deal's entry beside its first one; none for a deal whose creation this model never saw (it always does, from position 0). */
function dealEntry(e: StoredEvent, first: FirstEntry | undefined, kind: string, details: Record<string, unknown>): Entry | undefined {
  if (!first) return undefined;
  return {
    entry_id: e.eventId,
    kind,
    occurred_at: e.timestamp,
    record_type: 'opportunity',
    record_id: e.aggregateId,
    owner_id: first.owner_id,
    related_type: 'customer',
    related_id: first.related_id,
    details: { opportunityId: e.aggregateId, opportunityName: first.details.opportunityName ?? null, ...details },
  };
}

/** The entry an ADDING event adds, given the deal's first entry where it needs one. */
function addedEntry(e: StoredEvent, first: FirstEntry | undefined): Entry | undefined {
  const base = { eventType: e.eventType, eventId: e.eventId, actor: e.metadata.userId };
  const event = { type: e.eventType, data: e.payload } as AnyEvent;
  switch (event.type) {
    case 'CustomerProfileCreatedEvent':
    case 'CustomerProfileUpdatedEvent':
    case 'ConsentUpdatedEvent':
    case 'CustomerMergedEvent':
    case 'CustomerMergedIntoEvent':
      return {
        entry_id: e.eventId,
        kind: 'profile_change',
        occurred_at: e.timestamp,
        record_type: 'customer',
        record_id: e.aggregateId,
        owner_id: null,
        related_type: 'customer',
        related_id: e.aggregateId,
        details: { ...base, revision: e.revision.toString(), ...profileDetails(event) },
      };
    case 'OpportunityCreatedEvent': {
      const d = event.data;
      return {
        entry_id: firstEntryId(d.opportunityId),
        kind: 'stage_change',
        occurred_at: e.timestamp,
        record_type: 'opportunity',
        record_id: e.aggregateId,
        owner_id: d.ownerId,
        related_type: 'customer',
        related_id: d.customerId,
        details: { ...base, opportunityId: e.aggregateId, opportunityName: d.name, fromStage: null, toStage: d.stage },
      };
    }
    case 'OpportunityStageChangedEvent':
      return dealEntry(e, first, 'stage_change', { ...base, fromStage: event.data.fromStage, toStage: event.data.toStage, nextStep: event.data.nextStep });
    case 'OpportunityClosedWonEvent': {
      const d = event.data;
      const close = { ...base, outcome: 'won', fromStage: d.fromStage, toStage: d.toStage, amount: d.amount, currency: d.currency, closeDate: d.closeDate };
      return dealEntry(e, first, d.orderId ? 'order' : 'close', d.orderId ? { ...close, orderId: d.orderId } : close);
    }
    case 'OpportunityClosedLostEvent': {
      const d = event.data;
      return dealEntry(e, first, 'close', { ...base, outcome: 'lost', fromStage: d.fromStage, toStage: d.toStage, amount: d.amount, currency: d.currency, closeDate: d.closeDate, reason: d.reason });
    }
    case 'ActivityCreatedEvent': {
      const d = event.data;
      return {
        entry_id: `activity:${d.activityId}`,
        kind: 'activity',
        occurred_at: d.status === 'completed' ? d.completedDate : null,
        record_type: 'activity',
        record_id: e.aggregateId,
        owner_id: d.ownerId,
        related_type: d.relatedTo.type,
        related_id: d.relatedTo.id,
        details: { activityId: d.activityId, type: d.type, subject: d.subject, outcome: null, completedBy: d.status === 'completed' ? d.createdBy : null },
      };
    }
    case 'TaskCreatedEvent': {
      const d = event.data;
      return {
        entry_id: `task:${d.taskId}`,
        kind: 'task_completion',
        occurred_at: null,
        record_type: 'task',
        record_id: e.aggregateId,
        owner_id: d.assigneeId,
        related_type: d.relatedTo?.type ?? null,
        related_id: d.relatedTo?.id ?? null,
        details: { taskId: d.taskId, title: d.title, type: d.taskType },
      };
    }
    default:
      return undefined;
  }
}

async function handle(trx: Trx, e: StoredEvent): Promise<void> {
  if (!ADDING.has(e.eventType)) return change(trx, e);
  const first = DEAL_FOLLOWUPS.has(e.eventType) ? ((await entryOf(trx, e.tenantId, firstEntryId(e.aggregateId)).first()) as FirstEntry | undefined) : undefined;
  const entry = addedEntry(e, first);
  if (entry) await insert(trx, e.tenantId, entry);
}

const key = (tenantId: string, entryId: string) => `${tenantId}\u0000${entryId}`;

/**
 * A batch (rebuilds replay millions of deal events): each run of adding events costs one lookup
 * of its deals' first entries and multi-row inserts; an event that changes rows is applied on
 * its own, and ends the run only when the run reads or adds those rows (a reassigned deal, an
 * edit of work the run creates). The same rows as handle() event by event: a run sees the
 * first entries stored before it and those it adds itself, and nothing inside a run changes them.
 */
async function handleBatch(trx: Trx, events: readonly StoredEvent[]): Promise<void> {
  let run: StoredEvent[] = [];
  // The activities' and tasks' entries the run adds: an edit of one of them waits for the run.
  let created = new Set<string>();
  for (const e of events) {
    if (ADDING.has(e.eventType)) {
      run.push(e);
      const work = e.eventType === 'ActivityCreatedEvent' ? 'activity' : e.eventType === 'TaskCreatedEvent' ? 'task' : undefined;
      if (work) created.add(`${work}:${e.aggregateId}`);
      continue;
    }
    const target = changeTarget(e);
    // An edit of other work commutes with the run (it neither reads nor writes the run's rows).
    if (target === undefined || (target !== 'deal' && !created.has(target))) {
      if (target !== undefined) await change(trx, e);
      continue;
    }
    await addRun(trx, run);
    run = [];
    created = new Set();
    await change(trx, e);
  }
  await addRun(trx, run);
}

const ACTIVITY_EDITS = new Set(['ActivityUpdatedEvent', 'ActivityCompletedEvent', 'ActivityReopenedEvent', 'ActivityReassignedEvent']);
const TASK_EDITS = new Set(['TaskUpdatedEvent', 'TaskCompletedEvent', 'TaskReopenedEvent', 'TaskReassignedEvent']);

/**
 * What change() writes: a deal's rows ('deal', which the run's later entries copy from), one
 * activity's or task's entry, or nothing (undefined). Kept beside change()'s cases.
 */
function changeTarget(e: StoredEvent): 'deal' | string | undefined {
  if (e.eventType === 'OpportunityReassignedEvent') return 'deal';
  if (ACTIVITY_EDITS.has(e.eventType)) return `activity:${e.aggregateId}`;
  if (TASK_EDITS.has(e.eventType)) return `task:${e.aggregateId}`;
  return undefined;
}

async function addRun(trx: Trx, run: readonly StoredEvent[]): Promise<void> {
  const deals = new Map<string, { tenant_id: string; entry_id: string }>();
  for (const e of run) {
    if (DEAL_FOLLOWUPS.has(e.eventType)) deals.set(key(e.tenantId, firstEntryId(e.aggregateId)), { tenant_id: e.tenantId, entry_id: firstEntryId(e.aggregateId) });
  }
  const firsts = new Map<string, FirstEntry>();
  const found = await selectRows<FirstEntry & { tenant_id: string; entry_id: string }>(trx, CUSTOMER_TIMELINE_TABLE, ['tenant_id', 'entry_id'], [...deals.values()]);
  for (const r of found) firsts.set(key(r.tenant_id, r.entry_id), r);
  const rows: Record<string, unknown>[] = [];
  for (const e of run) {
    const entry = addedEntry(e, firsts.get(key(e.tenantId, firstEntryId(e.aggregateId))));
    if (!entry) continue;
    // An entry already there wins over a repeated creation (on conflict do nothing), here as in the table.
    if (e.eventType === 'OpportunityCreatedEvent' && !firsts.has(key(e.tenantId, entry.entry_id))) firsts.set(key(e.tenantId, entry.entry_id), entry);
    rows.push({ tenant_id: e.tenantId, ...entry });
  }
  await writeRows(trx, CUSTOMER_TIMELINE_TABLE, ['tenant_id', 'entry_id'], rows, 'ignore');
}

/** The events that change existing rows: a reassigned deal, activities' and tasks' edits. */
async function change(trx: Trx, e: StoredEvent): Promise<void> {
  const t = e.tenantId;
  const event = { type: e.eventType, data: e.payload } as AnyEvent;
  const work = (type: 'activity' | 'task') => entryOf(trx, t, `${type}:${e.aggregateId}`);
  // An edit: the shown fields it changed (undefined: unchanged), and what the work is about now.
  const edited = async (type: 'activity' | 'task', fields: Record<string, unknown>, relatedTo: { type: string; id: string } | null | undefined) => {
    const changed = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const about = relatedTo === undefined ? {} : { related_type: relatedTo?.type ?? null, related_id: relatedTo?.id ?? null };
    await work(type).update({ details: withDetails(trx, changed), ...about });
  };
  switch (event.type) {
    case 'OpportunityReassignedEvent':
      return void (await ofRecord(trx, t, 'opportunity', e.aggregateId).update({ owner_id: event.data.toOwnerId }));
    case 'ActivityUpdatedEvent': {
      const { type, subject, relatedTo } = event.data;
      return edited('activity', { type, subject }, relatedTo);
    }
    case 'ActivityCompletedEvent': {
      const d = event.data;
      return void (await work('activity').update({ occurred_at: d.completedDate, details: withDetails(trx, { outcome: d.outcome, completedBy: d.completedBy }) }));
    }
    case 'ActivityReopenedEvent':
      return void (await work('activity').update({ occurred_at: null }));
    case 'ActivityReassignedEvent':
      return void (await work('activity').update({ owner_id: event.data.ownerId }));
    case 'TaskUpdatedEvent': {
      const { title, taskType, relatedTo } = event.data;
      return edited('task', { title, type: taskType }, relatedTo);
    }
    case 'TaskCompletedEvent': {
      const d = event.data;
      return void (await work('task').update({ occurred_at: d.completedAt, details: withDetails(trx, { completedBy: d.completedBy, note: d.note }) }));
    }
    case 'TaskReopenedEvent':
      return void (await work('task').update({ occurred_at: null }));
    case 'TaskReassignedEvent':
      return void (await work('task').update({ owner_id: event.data.assigneeId }));
    default:
      return;
  }
}

export const customerTimelineProjection: Projection = {
  name: 'customer-timeline',
  version: 1,
  eventTypes: [...CUSTOMER_PROFILE_EVENT_TYPES, ...OPPORTUNITY_EVENT_TYPES, ...ACTIVITY_EVENT_TYPES, ...TASK_EVENT_TYPES],
  tables: [CUSTOMER_TIMELINE_TABLE],
  handle,
  handleBatch,
};
