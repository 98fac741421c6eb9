import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { benchDatabase } from './database.js';
import type { OpportunityEvent } from '../src/aggregates/opportunity/events.js';
import { SCHEMA_VERSION, toEventToAppend } from '../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../src/eventstore/postgres/store.js';
import { createDb } from '../src/db/knex.js';
import { projections } from '../src/projections/index.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import type { Amount } from '../src/shared/money.js';
import { progressLine } from '../src/shared/progress.js';

/**
 * npm run bench:rebuild [-- --events 1000000 --opportunities 10000 --only opportunities,sales-analytics --url postgres://...]
 * Generates a log of `events` events across `opportunities` opportunities (appended in rounds
 * of 10 events per stream, so streams interleave), then rebuilds every read model from
 * position 0, one line each with its events per second. `--url`: an existing migrated
 * database instead of a fresh one on the benchmarks' embedded PostgreSQL. Figures only.
 */
const { values } = parseArgs({
  options: {
    opportunities: { type: 'string', default: '10000' },
    events: { type: 'string', default: '1000000' },
    writers: { type: 'string', default: '4' },
    only: { type: 'string' },
    url: { type: 'string' },
  },
});
// Ctrl-C exits (an interrupted rebuild resumes; node --cpu-prof still writes its profile).
process.on('SIGINT', () => process.exit(130));
const OPPS = Number(values.opportunities);
const PER = Math.max(2, Math.round(Number(values.events) / OPPS));
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

const database = values.url ? external(values.url) : await benchDatabase('bench_rebuild');
const { url, db } = database;
const store = createPostgresEventStore({ connection: url });
const only = values.only?.split(',');

function external(url: string) {
  const db = createDb(url);
  return { url, db, drop: () => db.destroy() };
}

async function generate(): Promise<void> {
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
}

try {
  // An existing database with a log (--url) is rebuilt as it is: generating takes minutes.
  if ((await store.headPosition()).commit === 0n) await generate();
  let all = 0;
  let allMs = 0;
  for (const projection of projections.filter((p) => !only || only.includes(p.name))) {
    // From position 0 every time: an interrupted earlier run's shadow would otherwise resume.
    await db('projection_checkpoints').where({ name: `${projection.name}#rebuild` }).delete();
    const bar = progressLine(`rebuild ${projection.name}`);
    const r = await rebuildProjection({ db, store }, projection, {
      onProgress: (p) => bar.update(p.done, p.total, p.eventsPerSecond, p.etaMs),
    });
    bar.finish();
    all += r.done;
    allMs += r.elapsedMs;
    console.log(
      r.done === 0
        ? `rebuild ${projection.name}: none of its event types in the generated log (${(r.elapsedMs / 1000).toFixed(1)} s)`
        : `rebuild ${projection.name}: ${r.done} events in ${(r.elapsedMs / 1000).toFixed(1)} s = ${Math.round(r.eventsPerSecond)} events/s (target ≥ 30,000)`,
    );
  }
  console.log(`all read models: ${all} events applied in ${(allMs / 1000).toFixed(1)} s = ${Math.round((all * 1000) / allMs)} events/s`);
} finally {
  await store.close();
  await database.drop();
}
process.exit(0);
