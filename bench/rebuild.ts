import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { benchDatabase } from './database.js';
import type { OpportunityEvent } from '../src/aggregates/opportunity/events.js';
import { SCHEMA_VERSION, toEventToAppend } from '../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../src/eventstore/postgres/store.js';
import { opportunitiesProjection } from '../src/projections/opportunities.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { salesAnalyticsProjection } from '../src/projections/salesAnalytics.js';
import type { Amount } from '../src/shared/money.js';
import { progressLine } from '../src/shared/progress.js';

/**
 * npm run bench:rebuild [-- --opportunities 10000 --events 100]
 * Generates a log of opportunities × events (default 1,000,000 events across 10,000
 * opportunities; appended in rounds of 10 events per stream, so streams interleave), then
 * rebuilds the read models from position 0 and prints events per second. Figures only.
 */
const { values } = parseArgs({
  options: { opportunities: { type: 'string', default: '10000' }, events: { type: 'string', default: '100' }, writers: { type: 'string', default: '4' } },
});
const OPPS = Number(values.opportunities);
const PER = Math.max(2, Number(values.events));
const WRITERS = Number(values.writers);
const ROUND = 10;
const STAGES = ['QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'PROSPECTING'];

function eventOf(opp: number, n: number): OpportunityEvent {
  const opportunityId = `OPP-${opp}`;
  if (n === 0) {
    return {
      type: 'OpportunityCreatedEvent',
      data: {
        opportunityId,
        customerId: `CUST-${opp % 500}`,
        amount: `${1000 + (opp % 9000)}.${String(opp % 100).padStart(2, '0')}` as Amount,
        currency: 'USD',
        stage: 'PROSPECTING',
        name: `Deal ${opp}`,
        leadId: null,
        territoryId: `T-${opp % 20}`,
        ownerId: `rep-${opp % 50}`,
        probability: 10,
        expectedCloseDate: '2026-06-30',
        products: [],
        metadata: {},
      },
    };
  }
  if (n % 5 === 0) {
    return {
      type: 'OpportunityUpdatedEvent',
      data: { opportunityId, changedFields: ['amount', 'expectedCloseDate'], amount: `${2000 + n}.50` as Amount, expectedCloseDate: `2026-0${1 + (n % 9)}-15` },
    };
  }
  const from = STAGES[(n - 1) % STAGES.length]!;
  const to = STAGES[n % STAGES.length]!;
  return { type: 'OpportunityStageChangedEvent', data: { opportunityId, fromStage: from, toStage: to, probability: 25 + (n % 50), nextStep: null, notes: null } };
}

const database = await benchDatabase('bench_rebuild');
const { url, db } = database;
const store = createPostgresEventStore({ connection: url });

try {
  const total = OPPS * PER;
  const gen = progressLine('generating');
  const started = Date.now();
  let written = 0;
  const at = new Date('2026-01-05T09:00:00Z');
  for (let from = 0; from < PER; from += ROUND) {
    const count = Math.min(ROUND, PER - from);
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let opp = next++; opp < OPPS; opp = next++) {
          const events = Array.from({ length: count }, (_, i) =>
            toEventToAppend(eventOf(opp, from + i), {
              eventId: randomUUID(),
              timestamp: new Date(at.getTime() + (from + i) * 3_600_000),
              aggregateId: `OPP-${opp}`,
              tenantId: 'bench',
              metadata: { correlationId: 'bench', causationId: null, userId: `rep-${opp % 50}`, schemaVersion: SCHEMA_VERSION },
            }),
          );
          await store.append(`opportunity-bench:OPP-${opp}`, events, from === 0 ? 'no_stream' : BigInt(from - 1));
          written += count;
          const s = (Date.now() - started) / 1000;
          gen.update(written, total, written / s, ((total - written) / (written / s)) * 1000);
        }
      }),
    );
  }
  gen.finish();
  console.log(`generated ${written} events across ${OPPS} opportunities in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  let all = 0;
  let allMs = 0;
  for (const projection of [opportunitiesProjection, salesAnalyticsProjection]) {
    const bar = progressLine(`rebuild ${projection.name}`);
    const r = await rebuildProjection({ db, store }, projection, {
      onProgress: (p) => bar.update(p.done, p.total, p.eventsPerSecond, p.etaMs),
    });
    bar.finish();
    all += r.done;
    allMs += r.elapsedMs;
    console.log(`rebuild ${projection.name}: ${r.done} events in ${(r.elapsedMs / 1000).toFixed(1)} s = ${Math.round(r.eventsPerSecond)} events/s`);
  }
  console.log(`all read models: ${all} events applied in ${(allMs / 1000).toFixed(1)} s = ${Math.round((all * 1000) / allMs)} events/s`);
} finally {
  await store.close();
  await database.drop();
}
process.exit(0);
