import type { Knex } from 'knex';
import { ACTIVITY_EVENT_TYPES } from '../aggregates/activity/events.js';
import { CUSTOMER_PROFILE_EVENT_TYPES, type CustomerProfileEvent } from '../aggregates/customerProfile/events.js';
import { OPPORTUNITY_EVENT_TYPES, type OpportunityEvent } from '../aggregates/opportunity/events.js';
import { TASK_EVENT_TYPES } from '../aggregates/task/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';
import type { KnownRows } from './knownRows.js';
import { applyRows, planRows, rowWrites, selectRows } from './rows.js';
import { type Write, runWrites } from './writes.js';
import { workEntries } from './timelineWork.js';

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

type Entry = {
  readonly tenant_id: string;
  readonly entry_id: string;
  readonly kind: string;
  readonly occurred_at: string | Date | null;
  readonly record_type: TimelineRecord;
  readonly record_id: string;
  readonly owner_id: string | null;
  readonly related_type: string | null;
  readonly related_id: string | null;
  readonly details: Record<string, unknown>;
};

type Trx = Knex.Transaction;
type AnyEvent = OpportunityEvent | CustomerProfileEvent;

const insert = (trx: Trx, entry: Entry) =>
  trx(CUSTOMER_TIMELINE_TABLE)
    .insert({ ...entry, details: JSON.stringify(entry.details) })
    .onConflict(['tenant_id', 'entry_id'])
    .ignore();

const entryOf = (trx: Trx, tenantId: string, entryId: string) => trx(CUSTOMER_TIMELINE_TABLE).where({ tenant_id: tenantId, entry_id: entryId });
const ofRecord = (trx: Trx, tenantId: string, type: TimelineRecord, id: string) =>
  trx(CUSTOMER_TIMELINE_TABLE).where({ tenant_id: tenantId, record_type: type, record_id: id });

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
type FirstEntry = {
  readonly owner_id: string | null;
  readonly related_id: string | null;
  readonly details: { opportunityName?: unknown };
};

const firstEntryId = (dealId: string) => `opportunity:${dealId}`;

/** The events that only add an entry (a deal's later ones need its first); the others change rows. */
const DEAL_FOLLOWUPS = new Set(['OpportunityStageChangedEvent', 'OpportunityClosedWonEvent', 'OpportunityClosedLostEvent']);
const ADDING = new Set<string>([...CUSTOMER_PROFILE_EVENT_TYPES, 'OpportunityCreatedEvent', ...DEAL_FOLLOWUPS]);
const WORK = new Set<string>([...ACTIVITY_EVENT_TYPES, ...TASK_EVENT_TYPES]);
const work = workEntries(CUSTOMER_TIMELINE_TABLE);

/** A deal's entry beside its first one. */
function dealEntry(e: StoredEvent, first: FirstEntry, kind: string, details: Record<string, unknown>): Entry {
  return {
    tenant_id: e.tenantId,
    entry_id: e.eventId,
    kind,
    occurred_at: e.timestamp,
    record_type: 'opportunity',
    record_id: e.aggregateId,
    owner_id: first.owner_id,
    related_type: 'customer',
    related_id: first.related_id,
    details,
  };
}

/** Who did what, on every entry. */
const by = (e: StoredEvent) => ({ eventType: e.eventType, eventId: e.eventId, actor: e.metadata.userId });

/** The entry an ADDING event adds, given the deal's first entry where it needs one. */
function addedEntry(e: StoredEvent, first: FirstEntry | undefined): Entry | undefined {
  const event = { type: e.eventType, data: e.payload } as AnyEvent;
  switch (event.type) {
    case 'CustomerProfileCreatedEvent':
    case 'CustomerProfileUpdatedEvent':
    case 'ConsentUpdatedEvent':
    case 'CustomerMergedEvent':
    case 'CustomerMergedIntoEvent':
      return {
        tenant_id: e.tenantId,
        entry_id: e.eventId,
        kind: 'profile_change',
        occurred_at: e.timestamp,
        record_type: 'customer',
        record_id: e.aggregateId,
        owner_id: null,
        related_type: 'customer',
        related_id: e.aggregateId,
        details: { ...by(e), revision: e.revision.toString(), ...profileDetails(event) },
      };
    case 'OpportunityCreatedEvent': {
      const d = event.data;
      return {
        tenant_id: e.tenantId,
        entry_id: firstEntryId(d.opportunityId),
        kind: 'stage_change',
        occurred_at: e.timestamp,
        record_type: 'opportunity',
        record_id: e.aggregateId,
        owner_id: d.ownerId,
        related_type: 'customer',
        related_id: d.customerId,
        details: { ...by(e), opportunityId: e.aggregateId, opportunityName: d.name, fromStage: null, toStage: d.stage },
      };
    }
    // A deal's later entries: none for a deal whose creation this model never saw (it always
    // does, from position 0). Whole literals, no spreads: a rebuild makes a million of these.
    case 'OpportunityStageChangedEvent': {
      if (!first) return undefined;
      const d = event.data;
      const { eventType, eventId, aggregateId } = e;
      const actor = e.metadata.userId;
      const opportunityName = first.details.opportunityName ?? null;
      return dealEntry(e, first, 'stage_change', { eventType, eventId, actor, opportunityId: aggregateId, opportunityName, fromStage: d.fromStage, toStage: d.toStage, nextStep: d.nextStep });
    }
    case 'OpportunityClosedWonEvent':
    case 'OpportunityClosedLostEvent': {
      if (!first) return undefined;
      const d = event.data;
      const { eventType, eventId, aggregateId } = e;
      const actor = e.metadata.userId;
      const opportunityName = first.details.opportunityName ?? null;
      const close = { eventType, eventId, actor, opportunityId: aggregateId, opportunityName, fromStage: d.fromStage, toStage: d.toStage, amount: d.amount, currency: d.currency, closeDate: d.closeDate };
      if (event.type === 'OpportunityClosedLostEvent') return dealEntry(e, first, 'close', { ...close, outcome: 'lost', reason: event.data.reason });
      const orderId = event.data.orderId;
      return dealEntry(e, first, orderId ? 'order' : 'close', orderId ? { ...close, outcome: 'won', orderId } : { ...close, outcome: 'won' });
    }
    default:
      return undefined;
  }
}

async function handle(trx: Trx, e: StoredEvent): Promise<void> {
  if (WORK.has(e.eventType)) return applyRows(trx, work, [e]);
  if (!ADDING.has(e.eventType)) return reassign(trx, e);
  const first = DEAL_FOLLOWUPS.has(e.eventType) ? ((await entryOf(trx, e.tenantId, firstEntryId(e.aggregateId)).first()) as FirstEntry | undefined) : undefined;
  const entry = addedEntry(e, first);
  if (entry) await insert(trx, entry);
}

const key = (tenantId: string, entryId: string) => `${tenantId}\u0000${entryId}`;

/**
 * A batch (rebuilds replay millions of deal events): the activities' and tasks' entries folded
 * as rows (timelineWork.ts), apart, since no other event reads or writes them; of the rest,
 * each run of adding events costs one lookup of its deals' first entries and multi-row
 * inserts, and a reassigned deal (which changes rows the run's later entries copy from) ends
 * the run and is applied on its own. The same rows as handle() event by event: a run sees the
 * first entries stored before it and those it adds itself, and nothing inside a run changes them.
 */
async function handleBatch(trx: Trx, events: readonly StoredEvent[]): Promise<void> {
  await applyRows(trx, work, events.filter((e) => WORK.has(e.eventType)));
  let run: StoredEvent[] = [];
  for (const e of events) {
    if (ADDING.has(e.eventType)) run.push(e);
    else if (e.eventType === 'OpportunityReassignedEvent') {
      await addRun(trx, run);
      run = [];
      await reassign(trx, e);
    }
  }
  await addRun(trx, run);
}

/**
 * A live batch without a reassigned deal as writes (writes.ts): the work entries' rows and one
 * run's inserts, of distinct entries. A reassignment changes rows a later entry copies from, so
 * such a batch goes through handleBatch.
 */
async function plan(q: Knex, events: readonly StoredEvent[], known?: KnownRows): Promise<Write[] | undefined> {
  if (events.some((e) => e.eventType === 'OpportunityReassignedEvent')) return undefined;
  const works = await planRows(q, work, events.filter((e) => WORK.has(e.eventType)), known);
  return works && [...works, ...(await planRun(q, events.filter((e) => ADDING.has(e.eventType)), known))];
}

const addRun = async (trx: Trx, run: readonly StoredEvent[]) => runWrites(trx, await planRun(trx, run));

/** A run's entries; its deals' first entries are read unless `known` has them (only a reassignment changes one). */
async function planRun(q: Knex, run: readonly StoredEvent[], known?: KnownRows): Promise<Write[]> {
  const deals = new Map<string, { tenant_id: string; entry_id: string }>();
  const firsts = new Map<string, FirstEntry>();
  for (const e of run) {
    if (!DEAL_FOLLOWUPS.has(e.eventType)) continue;
    const k = key(e.tenantId, firstEntryId(e.aggregateId));
    const first = known?.get(CUSTOMER_TIMELINE_TABLE, k) as FirstEntry | null | undefined;
    if (first === undefined) deals.set(k, { tenant_id: e.tenantId, entry_id: firstEntryId(e.aggregateId) });
    else if (first !== null) firsts.set(k, first);
  }
  const found = await selectRows<FirstEntry & { tenant_id: string; entry_id: string }>(q, CUSTOMER_TIMELINE_TABLE, ['tenant_id', 'entry_id'], [...deals.values()]);
  for (const r of found) firsts.set(key(r.tenant_id, r.entry_id), r);
  const rows: Entry[] = [];
  for (const e of run) {
    const entry = addedEntry(e, firsts.get(key(e.tenantId, firstEntryId(e.aggregateId))));
    if (!entry) continue;
    // An entry already there wins over a repeated creation (on conflict do nothing), here as in the table.
    if (e.eventType === 'OpportunityCreatedEvent' && !firsts.has(key(e.tenantId, entry.entry_id))) firsts.set(key(e.tenantId, entry.entry_id), entry);
    rows.push(entry);
  }
  if (known) {
    for (const k of deals.keys()) if (!firsts.has(k)) known.learn(CUSTOMER_TIMELINE_TABLE, k, null);
    for (const [k, first] of firsts) known.learn(CUSTOMER_TIMELINE_TABLE, k, first);
  }
  return rowWrites(q, CUSTOMER_TIMELINE_TABLE, ['tenant_id', 'entry_id'], rows, 'ignore');
}

/** A reassigned deal: all its entries show the new owner. */
async function reassign(trx: Trx, e: StoredEvent): Promise<void> {
  const event = { type: e.eventType, data: e.payload } as OpportunityEvent;
  if (event.type !== 'OpportunityReassignedEvent') return;
  await ofRecord(trx, e.tenantId, 'opportunity', e.aggregateId).update({ owner_id: event.data.toOwnerId });
}

export const customerTimelineProjection: Projection = {
  name: 'customer-timeline',
  version: 1,
  eventTypes: [...CUSTOMER_PROFILE_EVENT_TYPES, ...OPPORTUNITY_EVENT_TYPES, ...ACTIVITY_EVENT_TYPES, ...TASK_EVENT_TYPES],
  tables: [CUSTOMER_TIMELINE_TABLE],
  readsBy: [['tenant_id', 'record_type', 'record_id']], // a reassigned deal's entries
  handle,
  handleBatch,
  plan,
};
