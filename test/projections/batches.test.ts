import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { OpportunityEvent } from '../../src/aggregates/opportunity/events.js';
import { SCHEMA_VERSION, type StoredEvent, fromRecorded, toEventToAppend } from '../../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { customerTimelineProjection } from '../../src/projections/customerTimeline.js';
import { opportunitiesProjection } from '../../src/projections/opportunities.js';
import type { Projection } from '../../src/projections/projection.js';
import { salesAnalyticsProjection } from '../../src/projections/salesAnalytics.js';
import { segmentFactsProjection } from '../../src/projections/segmentFacts.js';
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
  if (n % 4 === 0) {
    return { type: 'OpportunityUpdatedEvent', data: { opportunityId, changedFields: ['expectedCloseDate', 'probability'], expectedCloseDate: `2026-0${1 + (n % 9)}-15`, probability: 60 - n } };
  }
  return {
    type: 'OpportunityStageChangedEvent',
    data: { opportunityId, fromStage: STAGES[(n - 1) % 4]!, toStage: STAGES[n % 4]!, probability: 20 + ((n * 7) % 50), nextStep: `step ${n}`, notes: null },
  };
}

describe('projection batch handlers equal per-event handling', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let events: StoredEvent[];

  before(async () => {
    database = await freshDatabase('batches');
    const store = createPostgresEventStore({ connection: database.url });
    // Streams interleaved, as a live log is: a batch holds several events of one opportunity.
    for (let n = 0; n < 9; n++) {
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
    }
    events = (await store.readAll({ maxCount: 1000 })).map((r) => fromRecorded(r));
    await store.close();
  });

  after(async () => database.drop());

  for (const p of [opportunitiesProjection, salesAnalyticsProjection, customerTimelineProjection, segmentFactsProjection]) {
    it(`${p.name}: one batch, batches of 7, and one event at a time give the same rows`, async () => {
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
});
