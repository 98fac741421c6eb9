import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { OpportunityEvent } from '../../src/aggregates/opportunity/events.js';
import type { ActivityEvent } from '../../src/aggregates/activity/events.js';
import type { CustomerProfileEvent } from '../../src/aggregates/customerProfile/events.js';
import type { LeadEvent } from '../../src/aggregates/lead/events.js';
import type { ForecastEvent } from '../../src/aggregates/forecast/events.js';
import type { TaskEvent } from '../../src/aggregates/task/events.js';
import type { TeamEvent } from '../../src/aggregates/team/events.js';
import type { TerritoryEvent } from '../../src/aggregates/territory/events.js';
import { SCHEMA_VERSION, type StoredEvent, fromRecorded, toEventToAppend } from '../../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { activitiesProjection, tasksProjection } from '../../src/projections/activities.js';
import { customerTimelineProjection } from '../../src/projections/customerTimeline.js';
import { customersProjection } from '../../src/projections/customers.js';
import { forecastsProjection } from '../../src/projections/forecasts.js';
import { leadsProjection } from '../../src/projections/leads.js';
import { opportunitiesProjection } from '../../src/projections/opportunities.js';
import { type Projection, projectionSubscriber } from '../../src/projections/projection.js';
import type { Position } from '../../src/eventstore/port.js';
import { CheckpointMovedError, commitOf, loadCheckpoint } from '../../src/subscriptions/checkpoints.js';
import { salesAnalyticsProjection } from '../../src/projections/salesAnalytics.js';
import { keysOf, rowKey } from '../../src/projections/rows.js';
import { segmentFactsProjection } from '../../src/projections/segmentFacts.js';
import { teamsProjection } from '../../src/projections/teams.js';
import { territoriesProjection } from '../../src/projections/territories.js';
import type { Amount } from '../../src/shared/money.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * A batch handler must leave the read model exactly as handling the same events one at a time
 * does: rebuilds and live batches use it, per-event handling is the rule it must agree with.
 */
const STAGES = ['QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'PROSPECTING'];

function eventOf(opp: number, n: number): OpportunityEvent {
  const opportunityId = `OPP-${opp}`;
  if (n === 0) {
    return {
      type: 'OpportunityCreatedEvent',
      data: {
        opportunityId,
        customerId: `CUST-${opp % 3}`,
        amount: `${1000 + opp}.50` as Amount,
        currency: 'USD',
        stage: 'PROSPECTING',
        name: `Deal ${opp}`,
        leadId: null,
        territoryId: `T-${opp % 2}`,
        ownerId: `rep-${opp % 2}`,
        probability: 10,
        expectedCloseDate: '2026-06-30',
        products: [],
        metadata: {},
      },
    };
  }
  if (n === 5) {
    // Changes rows the later entries copy from (the timeline's owner): batches must keep the order.
    return { type: 'OpportunityReassignedEvent', data: { opportunityId, fromOwnerId: `rep-${opp % 2}`, toOwnerId: 'rep-new', reason: null } };
  }
  if (n === 7) {
    return { type: 'OpportunityTerritoryAssignedEvent', data: { opportunityId, fromTerritoryId: `T-${opp % 2}`, toTerritoryId: 'T-9', reason: 'rebalance' } };
  }
  if (n % 4 === 0) {
    return { type: 'OpportunityUpdatedEvent', data: { opportunityId, changedFields: ['expectedCloseDate', 'probability'], expectedCloseDate: `2026-0${1 + (n % 9)}-15`, probability: 60 - n } };
  }
  return {
    type: 'OpportunityStageChangedEvent',
    data: { opportunityId, fromStage: STAGES[(n - 1) % 4]!, toStage: STAGES[n % 4]!, probability: 20 + ((n * 7) % 50), nextStep: `step ${n}`, notes: null },
  };
}

/** An activity's and a task's n-th events: every kind, and a creation repeated (a replay changes nothing). */
function workOf(n: number): { activity: ActivityEvent; task: TaskEvent; lead: LeadEvent; customer: CustomerProfileEvent } {
  const relatedTo = { type: 'opportunity' as const, id: 'OPP-1' };
  const created = n === 0 || n === 6;
  const activity: ActivityEvent = created
    ? { type: 'ActivityCreatedEvent', data: { activityId: 'ACT-1', type: 'call', subject: `Call ${n}`, description: null, relatedTo, ownerId: 'rep-0', dueDate: '2026-02-01', priority: 'normal', status: 'planned', completedDate: null, createdBy: 'u-0' } }
    : (
      [
        { type: 'ActivityUpdatedEvent', data: { activityId: 'ACT-1', changedFields: ['subject', 'relatedTo'], updatedBy: 'u-0', subject: `Call ${n}`, relatedTo: { type: 'customer', id: 'CUST-1' } } },
        { type: 'ActivityCompletedEvent', data: { activityId: 'ACT-1', completedBy: 'u-1', completedDate: '2026-02-02T10:00:00Z', outcome: 'done' } },
        { type: 'ActivityReopenedEvent', data: { activityId: 'ACT-1', reopenedBy: 'u-1' } },
        { type: 'ActivityReassignedEvent', data: { activityId: 'ACT-1', fromOwnerId: 'rep-0', ownerId: `rep-${n}`, reassignedBy: 'u-0', reason: null } },
        { type: 'ActivityCancelledEvent', data: { activityId: 'ACT-1', cancelledBy: 'u-0', reason: 'gone' } },
      ] satisfies ActivityEvent[]
    )[n % 5]!;
  const task: TaskEvent = created
    ? { type: 'TaskCreatedEvent', data: { taskId: 'TASK-1', title: `Task ${n}`, description: null, assigneeId: 'rep-0', relatedTo: null, dueDate: '2026-02-01', priority: 'high', taskType: 'call', createdBy: 'u-0' } }
    : (
      [
        { type: 'TaskUpdatedEvent', data: { taskId: 'TASK-1', changedFields: ['title', 'relatedTo'], updatedBy: 'u-0', title: `Task ${n}`, relatedTo } },
        { type: 'TaskCompletedEvent', data: { taskId: 'TASK-1', completedBy: 'u-1', completedAt: '2026-02-02T10:00:00Z', note: null } },
        { type: 'TaskReopenedEvent', data: { taskId: 'TASK-1', reopenedBy: 'u-1', reason: null } },
        { type: 'TaskReassignedEvent', data: { taskId: 'TASK-1', fromAssigneeId: 'rep-0', assigneeId: `rep-${n}`, reassignedBy: 'u-0', reason: null } },
        { type: 'TaskCancelledEvent', data: { taskId: 'TASK-1', cancelledBy: 'u-0', reason: 'gone' } },
      ] satisfies TaskEvent[]
    )[n % 5]!;
  const leadId = 'LEAD-1';
  const lead: LeadEvent = created
    ? {
        type: 'LeadCreatedEvent',
        data: {
          leadId, source: 'webinar', ownerId: 'rep-0', territoryId: 'T-0', companyName: 'Acme', title: null, industry: null, employeeCount: null, annualRevenue: null,
          currency: null, marketingScore: 10, metadata: { utm: `u${n}` }, personalData: { firstName: 'Ada', lastName: null, email: null, phone: null }, createdAt: '2026-01-05T09:00:00Z',
        },
      }
    : (
        [
          { type: 'LeadAssignedEvent', data: { leadId, ownerId: `rep-${n}`, territoryId: 'T-1', reason: 'r', previousOwnerId: 'rep-0', previousTerritoryId: 'T-0', assignedAt: '2026-01-06T09:00:00Z' } },
          { type: 'LeadMarketingSyncedEvent', data: { leadId, marketingScore: n, campaignId: 'c1', attribution: { firstTouch: 'a', lastTouch: null, touches: ['a'] }, changedFields: ['marketingScore'], sourceEventId: null } },
          { type: 'LeadQualifiedEvent', data: { leadId, score: 70, threshold: 50, notes: null } },
          { type: 'LeadDisqualifiedEvent', data: { leadId, score: 10, threshold: 50, reason: 'no budget' } },
          { type: 'LeadPersonalDataErasedEvent', data: { leadId, subjectId: 's1', erasedAt: '2026-01-07T09:00:00Z' } },
        ] satisfies LeadEvent[]
      )[n % 5]!;
  const customerId = 'CUST-1';
  const customer: CustomerProfileEvent = created
    ? { type: 'CustomerProfileCreatedEvent', data: { customerId, name: `Acme ${n}`, status: 'PROSPECT', primaryContactId: null, segment: 'SMB', personalData: { firstName: 'Ada' }, industry: 'software' } }
    : (
        [
          { type: 'CustomerProfileUpdatedEvent', data: { customerId, changedFields: ['status', 'segments', 'personalData'], updatedBy: 'u-0', status: 'ACTIVE', segments: ['big', `s${n}`], personalData: { email: `a${n}@x.org` } } },
          { type: 'ConsentUpdatedEvent', data: { customerId, consentType: n % 2 ? 'EMAIL' : 'SMS', status: 'GRANTED', previousStatus: null, source: 'WEB_FORM' } },
          { type: 'CustomerMergedIntoEvent', data: { sourceCustomerId: customerId, targetCustomerId: 'CUST-2', mergeReason: 'duplicate' } },
          { type: 'CustomerMergedEvent', data: { targetCustomerId: customerId, sourceCustomerId: `CUST-${n}`, mergeReason: 'duplicate' } },
          { type: 'CustomerPersonalDataErasedEvent', data: { customerId, subjectId: 's1', current: n % 2 === 1, erasedAt: '2026-01-07T09:00:00Z' } },
        ] satisfies CustomerProfileEvent[]
      )[n % 5]!;
  return { activity, task, lead, customer };
}

/**
 * Two teams' and two forecasts' n-th events: members added, removed and added again (the
 * re-added row is a new one, a repeated addition keeps the old), several teams' members under
 * one batch, snapshots counted, and a creation repeated (a replay changes nothing).
 */
function directoryOf(k: number, n: number): { team: TeamEvent; forecast: ForecastEvent } {
  const teamId = `TEAM-${k}`;
  const member = (i: number) => `rep-${(k + i) % 4}`;
  const team: TeamEvent = (
    [
      { type: 'TeamCreatedEvent', data: { teamId, name: `Team ${k}`, managerId: 'rep-0', memberIds: [member(0), member(1)] } },
      { type: 'TeamMemberAddedEvent', data: { teamId, userId: member(2) } },
      { type: 'TeamMemberRemovedEvent', data: { teamId, userId: member(0) } },
      { type: 'TeamMemberAddedEvent', data: { teamId, userId: member(0) } },
      { type: 'TeamMemberAddedEvent', data: { teamId, userId: member(1) } },
      { type: 'TeamRenamedEvent', data: { teamId, fromName: `Team ${k}`, toName: `Team ${k}.${n}` } },
      { type: 'TeamCreatedEvent', data: { teamId, name: `Again ${k}`, managerId: null, memberIds: [member(3)] } },
      { type: 'TeamMemberRemovedEvent', data: { teamId, userId: member(2) } },
      { type: 'TeamManagerChangedEvent', data: { teamId, fromManagerId: 'rep-0', toManagerId: `rep-${n}` } },
      { type: 'TeamDisbandedEvent', data: { teamId, reason: null } },
    ] satisfies TeamEvent[]
  )[n % 10]!;
  const forecastId = `FC-${k}`;
  const snapshot = (i: number): ForecastEvent => ({
    type: 'ForecastSnapshotCreatedEvent',
    data: {
      forecastId, period: 'Q1_2026', territoryId: null, forecastType: 'commit', currency: 'USD', amount: `${5000 + i}.00` as Amount, probabilityWeightedAmount: `${2000 + i}.25` as Amount,
      breakdown: [{ stage: 'PROPOSAL', count: 2 + i, totalAmount: '100.10' as Amount, weightedAmount: '50.05' as Amount }, { stage: 'NEGOTIATION', count: 1, totalAmount: `${i}.20` as Amount, weightedAmount: '0.10' as Amount }],
      generatedAt: `2026-01-0${1 + (i % 9)}T10:00:00.000Z`,
    },
  });
  const created: ForecastEvent = { type: 'ForecastCreatedEvent', data: { forecastId, period: 'Q1_2026', territoryId: k ? 'T-1' : null, ownerId: 'rep-0', forecastType: 'commit', amount: `${7000 + n}.00` as Amount, currency: 'USD', notes: null, dealScope: 'team' } };
  const forecast: ForecastEvent = (
    [
      created,
      snapshot(n),
      { type: 'ForecastAdjustedEvent', data: { forecastId, fromAmount: '7000.00' as Amount, toAmount: `${7100 + n}.50` as Amount, reason: 'r' } },
      snapshot(n),
      { type: 'ForecastReassignedEvent', data: { forecastId, fromOwnerId: 'rep-0', toOwnerId: `rep-${n}`, reason: null } },
      snapshot(n),
      created,
      { type: 'ForecastLockedEvent', data: { forecastId, period: 'Q1_2026', amount: '7100.50' as Amount, reason: null } },
      snapshot(n),
      { type: 'ForecastAdjustedEvent', data: { forecastId, fromAmount: '7000.00' as Amount, toAmount: `${7200 + n}.00` as Amount, reason: 'r' } },
    ] satisfies ForecastEvent[]
  )[n % 10]!;
  return { team, forecast };
}

describe('projection batch handlers equal per-event handling', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let log: StoredEvent[];

  before(async () => {
    database = await freshDatabase('batches');
    const store = createPostgresEventStore({ connection: database.url });
    // Streams interleaved, as a live log is: a batch holds several events of one opportunity.
    for (let n = 0; n < 10; n++) {
      for (let opp = 0; opp < 5; opp++) {
        const e = toEventToAppend(eventOf(opp, n), {
          eventId: randomUUID(),
          timestamp: new Date(Date.UTC(2026, 0, 5, 9 + n)),
          aggregateId: `OPP-${opp}`,
          tenantId: 't1',
          metadata: { correlationId: 'c', causationId: null, userId: `u-${n % 2}`, schemaVersion: SCHEMA_VERSION },
        });
        await store.append(`opportunity-t1:OPP-${opp}`, [e], n === 0 ? 'no_stream' : BigInt(n - 1));
      }
      // Territories' own events between the deals' (territories: kept in order beside the
      // assignments); two of them, a creation repeated, updates of some fields only.
      const meta = { correlationId: 'c', causationId: null, userId: 'u-t', schemaVersion: SCHEMA_VERSION };
      for (const territoryId of ['T-9', 'T-8']) {
        const territory: TerritoryEvent =
          n === 0 || n === 7
            ? { type: 'TerritoryCreatedEvent', data: { territoryId, name: `North ${n}`, ownerId: 'rep-0', region: 'EMEA', rule: null } }
            : n % 3 === 0
              ? { type: 'TerritoryDeactivatedEvent', data: { territoryId, reason: null } }
              : n % 3 === 1
                ? { type: 'TerritoryReactivatedEvent', data: { territoryId } }
                : n === 5
                  ? { type: 'TerritoryUpdatedEvent', data: { territoryId, changedFields: ['ownerId', 'rule'], ownerId: null, rule: `rule ${n}` } }
                  : { type: 'TerritoryUpdatedEvent', data: { territoryId, changedFields: ['name', 'region'], name: `North ${n}`, region: `R${n}` } };
        const t = toEventToAppend(territory, { eventId: randomUUID(), timestamp: new Date(Date.UTC(2026, 0, 5, 9 + n)), aggregateId: territoryId, tenantId: 't1', metadata: meta });
        await store.append(`territory-t1:${territoryId}`, [t], n === 0 ? 'no_stream' : BigInt(n - 1));
      }
      const work = workOf(n);
      for (const [stream, id, event] of [['activity', 'ACT-1', work.activity], ['task', 'TASK-1', work.task], ['lead', 'LEAD-1', work.lead], ['customerProfile', 'CUST-1', work.customer]] as const) {
        const w = toEventToAppend(event, { eventId: randomUUID(), timestamp: new Date(Date.UTC(2026, 0, 5, 9 + n)), aggregateId: id, tenantId: 't1', metadata: meta });
        await store.append(`${stream}-t1:${id}`, [w], n === 0 ? 'no_stream' : BigInt(n - 1));
      }
      for (let k = 0; k < 2; k++) {
        const d = directoryOf(k, n);
        for (const [stream, id, event] of [['team', `TEAM-${k}`, d.team], ['forecast', `FC-${k}`, d.forecast]] as const) {
          const w = toEventToAppend(event, { eventId: randomUUID(), timestamp: new Date(Date.UTC(2026, 0, 5, 9 + n)), aggregateId: id, tenantId: 't1', metadata: meta });
          await store.append(`${stream}-t1:${id}`, [w], n === 0 ? 'no_stream' : BigInt(n - 1));
        }
      }
    }
    log = (await store.readAll({ maxCount: 1000 })).map((r) => fromRecorded(r));
    await store.close();
  });

  after(async () => database.drop());

  for (const p of [opportunitiesProjection, salesAnalyticsProjection, customerTimelineProjection, segmentFactsProjection, territoriesProjection, activitiesProjection, tasksProjection, leadsProjection, customersProjection, forecastsProjection, teamsProjection]) {
    it(`${p.name}: one batch, batches of 7, and one event at a time give the same rows`, async () => {
      // What its subscription reads: the log filtered to its types.
      const events = log.filter((e) => p.eventTypes.includes(e.eventType));
      let oneByOne: unknown[] = [];
      let whole: unknown[] = [];
      let sevens: unknown[] = [];
      const capture = (into: (rows: unknown[]) => void) => async (trx: Parameters<Projection['handle']>[0], work: () => Promise<void>) => {
        await work();
        const out: unknown[] = [];
        for (const t of p.tables) out.push(await trx(t).select().orderByRaw('1, 2, 3'));
        into(out);
      };
      await database.db.transaction(async (trx) => {
        for (const t of p.tables) await trx(t).delete();
        await capture((r) => (oneByOne = r))(trx, async () => {
          for (const e of events) await p.handle(trx, e);
        });
        for (const t of p.tables) await trx(t).delete();
        await capture((r) => (whole = r))(trx, () => p.handleBatch!(trx, events));
        for (const t of p.tables) await trx(t).delete();
        await capture((r) => (sevens = r))(trx, async () => {
          for (let i = 0; i < events.length; i += 7) await p.handleBatch!(trx, events.slice(i, i + 7));
        });
      });
      expect(oneByOne.some((rows) => (rows as unknown[]).length > 0)).to.equal(true);
      expect(whole).to.deep.equal(oneByOne);
      expect(sevens).to.deep.equal(oneByOne);
    });
  }

  // Live batches through the subscriber: a projection that plans its writes (row models, sales
  // analytics, the timeline, segment facts) as one statement each, without a transaction, or
  // none for a batch that changes nothing; the others in a transaction, as before.
  const live = [opportunitiesProjection, salesAnalyticsProjection, customerTimelineProjection, segmentFactsProjection, activitiesProjection, tasksProjection, leadsProjection, territoriesProjection, forecastsProjection, teamsProjection];
  const START_AT: Position = { commit: 0n, prepare: 0n };
  const rowsOf = async (p: Projection) => Promise.all(p.tables.map((t) => database.db(t).select().orderByRaw('1, 2, 3')));
  const empty = async (p: Projection, checkpoint: string) => {
    for (const t of p.tables) await database.db(t).delete();
    await database.db('projection_checkpoints').where({ name: checkpoint }).delete();
    await database.db('projection_checkpoints').insert({ name: checkpoint, version: p.version, position_commit: '0', position_prepare: '0' });
  };
  const moveTo = (p: Projection, checkpoint: string, from: Position, to: Position) => commitOf({ name: checkpoint, version: p.version, from, to });

  for (const p of live) {
    const path = p.plan ? 'one statement each, or none' : 'a transaction each';
    it(`${p.name}: live batches of 7 through its subscriber (${path}) give the same rows and move the checkpoint`, async () => {
      const events = log.filter((e) => p.eventTypes.includes(e.eventType));
      const checkpoint = `live-${p.name}`;
      await empty(p, checkpoint);
      for (const e of events) await database.db.transaction((trx) => p.handle(trx, e));
      const oneByOne = await rowsOf(p);
      await empty(p, checkpoint);
      const sub = projectionSubscriber(database.db, p, { name: checkpoint });
      const sent: string[] = [];
      const listen = (q: { sql: string }) => sent.push(q.sql);
      database.db.on('query', listen);
      let at = START_AT;
      let batches = 0;
      let unchanged = 0;
      let reassigning = 0;
      // A row model reads a row only the first time a batch touches it: then it knows it (knownRows.ts).
      const seen = new Set<string>();
      let batchesWithNewRows = 0;
      try {
        for (let i = 0; i < events.length; i += 7, batches++) {
          const batch = events.slice(i, i + 7);
          const to = batch.at(-1)!.position;
          if (batch.some((e) => e.eventType === 'OpportunityReassignedEvent')) reassigning++;
          if (p.rows) {
            const keys = batch.flatMap((e) => keysOf(p.rows!, e).map((k) => rowKey(p.rows!, k)));
            if (keys.some((k) => !seen.has(k))) batchesWithNewRows++;
            for (const k of keys) seen.add(k);
          }
          // 'unchanged': nothing written, the checkpoint left to the mechanism (consume.ts).
          if ((await sub.handle(batch, moveTo(p, checkpoint, at, to))) === 'unchanged') unchanged++;
          else at = to;
        }
      } finally {
        database.db.removeListener('query', listen);
      }
      expect(oneByOne.some((rows) => rows.length > 0)).to.equal(true);
      expect(await rowsOf(p)).to.deep.equal(oneByOne);
      expect((await loadCheckpoint(database.db, checkpoint, p.version)).position).to.deep.equal(at);
      const begins = sent.filter((q) => /^begin/i.test(q)).length;
      const moving = sent.filter((q) => q.startsWith('with moved as')).length;
      if (!p.plan) expect([begins, moving, unchanged]).to.deep.equal([batches, 0, 0]);
      else {
        // The timeline plans no batch that reassigns a deal: that one goes through a transaction.
        expect(begins).to.equal(p === customerTimelineProjection ? reassigning : 0);
        expect(moving).to.be.above(0);
        expect(begins + moving + unchanged).to.equal(batches);
      }
      if (p.rows) {
        expect(batches).to.be.above(batchesWithNewRows);
        expect(sent.filter((q) => q.startsWith('select * from')).length).to.equal(batchesWithNewRows);
      }
    });
  }

  it('a live row batch whose checkpoint moved under it, or whose lease ended, writes nothing', async () => {
    const p = opportunitiesProjection;
    const events = log.filter((e) => p.eventTypes.includes(e.eventType)).slice(0, 12);
    const checkpoint = 'live-overtaken';
    await empty(p, checkpoint);
    const sub = projectionSubscriber(database.db, p, { name: checkpoint });
    const elsewhere = events[3]!.position;
    // Another mover got there first: this one's `from` is stale.
    await moveTo(p, checkpoint, START_AT, elsewhere)(database.db);
    const stale = await sub.handle(events, moveTo(p, checkpoint, START_AT, events.at(-1)!.position)).catch((e: unknown) => e);
    expect(stale).to.be.instanceOf(CheckpointMovedError);
    expect((await rowsOf(p))[0]).to.deep.equal([]);
    // A lease that has lapsed: the fence refuses, though the position matches.
    await database.db('subscription_leases').insert({ name: checkpoint, holder: 'me', term: 1, acquired_at: database.db.fn.now(), expires_at: database.db.raw("clock_timestamp() - interval '1 second'") });
    const lapsed = commitOf({ name: checkpoint, version: p.version, from: elsewhere, to: events.at(-1)!.position, fence: { name: checkpoint, holder: 'me' } });
    expect(await sub.handle(events, lapsed).catch((e: unknown) => e)).to.be.instanceOf(CheckpointMovedError);
    expect((await rowsOf(p))[0]).to.deep.equal([]);
    expect((await loadCheckpoint(database.db, checkpoint, p.version)).position).to.deep.equal(elsewhere);
  });

  for (const p of [opportunitiesProjection, customerTimelineProjection, segmentFactsProjection]) {
    it(`${p.name}: a live subscriber reads its rows again once another instance moved the checkpoint`, async () => {
      const events = log.filter((e) => p.eventTypes.includes(e.eventType));
      const checkpoint = `live-handover-${p.name}`;
      await empty(p, checkpoint);
      for (const e of events) await database.db.transaction((trx) => p.handle(trx, e));
      const oneByOne = await rowsOf(p);
      await empty(p, checkpoint);
      const here = projectionSubscriber(database.db, p, { name: checkpoint });
      const there = projectionSubscriber(database.db, p, { name: checkpoint });
      // Batches of 7 (each touches all five deals), alternating between two instances.
      let at = START_AT;
      for (let i = 0, n = 0; i < events.length; i += 7, n++) {
        const batch = events.slice(i, i + 7);
        const to = batch.at(-1)!.position;
        if ((await (n % 3 === 1 ? there : here).handle(batch, moveTo(p, checkpoint, at, to))) !== 'unchanged') at = to;
      }
      expect(await rowsOf(p)).to.deep.equal(oneByOne);
    });
  }

  it('a live subscriber forgets the rows it knows when a rebuild swaps new tables in at the checkpoint it left', async () => {
    const p = opportunitiesProjection;
    const events = log.filter((e) => p.eventTypes.includes(e.eventType));
    const checkpoint = 'live-swapped';
    await empty(p, checkpoint);
    const sub = projectionSubscriber(database.db, p, { name: checkpoint });
    const first = events.slice(0, 10);
    const at = first.at(-1)!.position;
    await sub.handle(first, moveTo(p, checkpoint, START_AT, at));
    // A rebuild (say, one that applied an event set aside before) swaps in other tables at the
    // same position: here a copy whose names differ.
    await database.db.raw('create table opportunities_swap (like opportunities including all)');
    await database.db.raw(`insert into opportunities_swap select * from opportunities`);
    await database.db.raw(`update opportunities_swap set name = 'Repaired ' || opportunity_id`);
    await database.db.raw('drop table opportunities');
    await database.db.raw('alter table opportunities_swap rename to opportunities');
    const rest = events.slice(10);
    const to = rest.at(-1)!.position;
    // The first attempt finds the tables changed and writes nothing; the retry reads them.
    const stale = await sub.handle(rest, moveTo(p, checkpoint, at, to)).catch((e: unknown) => e);
    expect(stale).to.be.instanceOf(CheckpointMovedError);
    await sub.handle(rest, moveTo(p, checkpoint, at, to));
    const names = (await database.db('opportunities').select('name')).map((r: { name: string }) => r.name);
    expect(names).to.have.length(5);
    for (const name of names) expect(name).to.match(/^Repaired /);
  });

  it('a live batch that changes nothing writes no row; it leaves the checkpoint where it was unless it read rows', async () => {
    // Sales analytics records stages and close dates: a reassignment changes neither, and it reads
    // nothing for it. The opportunities model reads the deals' rows (none: none was created) and
    // finds nothing to change; an outcome that rests on rows moves the checkpoint, on the tables'
    // condition, rather than leave it to an idle move that would not check them.
    const reassigned = log.filter((e) => e.eventType === 'OpportunityReassignedEvent');
    expect(reassigned.length).to.be.above(1);
    const to = reassigned.at(-1)!.position;
    const sent: string[] = [];
    const listen = (q: { sql: string }) => sent.push(q.sql);
    const outcomes: unknown[] = [];
    for (const p of [salesAnalyticsProjection, opportunitiesProjection]) {
      const checkpoint = `live-unchanged-${p.name}`;
      await empty(p, checkpoint);
      const sub = projectionSubscriber(database.db, p, { name: checkpoint });
      database.db.on('query', listen);
      try {
        outcomes.push(await sub.handle(reassigned, moveTo(p, checkpoint, START_AT, to)));
      } finally {
        database.db.removeListener('query', listen);
      }
      outcomes.push((await loadCheckpoint(database.db, checkpoint, p.version)).position);
      expect((await rowsOf(p)).flat()).to.deep.equal([]);
    }
    expect(outcomes).to.deep.equal(['unchanged', START_AT, undefined, to]);
    expect(sent.filter((q) => !q.startsWith('select ') && !q.startsWith('with moved as'))).to.deep.equal([]);
    expect(sent.filter((q) => q.startsWith('with moved as'))).to.have.length(1);
  });

  for (const p of [opportunitiesProjection, customerTimelineProjection]) {
    it(`${p.name}: a live batch that finds nothing to change on rows it knew does not pass a rebuild that swapped tables in`, async () => {
      const events = log.filter((e) => p.eventTypes.includes(e.eventType));
      const table = p.tables[0]!;
      const checkpoint = `live-swapped-unchanged-${p.name}`;
      const ofDeal0 = (e: StoredEvent) => e.aggregateId === 'OPP-0';
      const deal0Rows = () => database.db(table).where(p === opportunitiesProjection ? { opportunity_id: 'OPP-0' } : { record_id: 'OPP-0' }).orderByRaw('1, 2, 3');
      const creation = events.find((e) => ofDeal0(e) && e.eventType === 'OpportunityCreatedEvent')!;
      // Deal 0's creation was set aside: its later events change nothing, and it knows the row is absent.
      const first = events.slice(0, 30).filter((e) => e !== creation);
      const later = events.slice(30).filter((e) => ofDeal0(e) && e.eventType === 'OpportunityStageChangedEvent');
      expect(later.length).to.be.above(0);
      const at = first.at(-1)!.position;
      await empty(p, checkpoint);
      for (const e of [creation, ...first.filter(ofDeal0), ...later]) await database.db.transaction((trx) => p.handle(trx, e));
      const expected = await deal0Rows();
      await empty(p, checkpoint);
      const sub = projectionSubscriber(database.db, p, { name: checkpoint });
      await sub.handle(first, moveTo(p, checkpoint, START_AT, at));
      // A rebuild that applied the set-aside event swaps its tables in at the same position.
      await database.db.raw(`create table swapped (like ${table} including all)`);
      await database.db.raw(`insert into swapped select * from ${table}`);
      await database.db.raw(`drop table ${table}`);
      await database.db.raw(`alter table swapped rename to ${table}`);
      for (const e of [creation, ...first.filter(ofDeal0)]) await database.db.transaction((trx) => p.handle(trx, e));
      const to = later.at(-1)!.position;
      expect(await sub.handle(later, moveTo(p, checkpoint, at, to)).catch((e: unknown) => e)).to.be.instanceOf(CheckpointMovedError);
      await sub.handle(later, moveTo(p, checkpoint, at, to));
      expect(await deal0Rows()).to.deep.equal(expected);
    });
  }

  it('a live row batch of more rows than one statement carries goes through a transaction, with the same effect', async () => {
    const p = opportunitiesProjection;
    const created = log.find((e) => e.eventType === 'OpportunityCreatedEvent')!;
    const events = Array.from({ length: 5_001 }, (_, i): StoredEvent => ({ ...created, aggregateId: `OPP-many-${i}`, eventId: randomUUID() }));
    const checkpoint = 'live-many';
    await empty(p, checkpoint);
    await projectionSubscriber(database.db, p, { name: checkpoint }).handle(events, moveTo(p, checkpoint, START_AT, created.position));
    expect(Number((await database.db(p.tables[0]!).count({ n: '*' }))[0]!.n)).to.equal(5_001);
    expect((await loadCheckpoint(database.db, checkpoint, p.version)).position).to.deep.equal(created.position);
  });
});
