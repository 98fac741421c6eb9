import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchDatabase } from './database.js';
import { type BenchStream, benchStreams, ownStreams } from './rebuildLog.js';
import { newEventId } from '../src/eventstore/eventId.js';
import { SCHEMA_VERSION, toEventToAppend } from '../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../src/eventstore/postgres/store.js';
import { type Db, createDb } from '../src/db/knex.js';
import type { EventStore } from '../src/eventstore/port.js';
import { projections } from '../src/projections/index.js';
import type { Projection } from '../src/projections/projection.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { progressLine } from '../src/shared/progress.js';

/**
 * npm run bench:rebuild [-- --events 1000000 --opportunities 10000 --only opportunities,sales-analytics --url postgres://...]
 * Generates a log of `events` events across `opportunities` opportunities (appended in rounds
 * of 10 events per stream, so streams interleave), then rebuilds every read model from
 * position 0, one line each with its events per second. `--url`: an existing migrated
 * database instead of a fresh one on the benchmarks' embedded PostgreSQL. Figures only.
 * `--own-log`: instead, each read model (or `--only` ones) over a log of `events` events of
 * its own kinds alone, in a fresh database each (rebuildLog.ts, ownStreams).
 */
const ROUND = 10;
/** Below this many events a rebuild's figure is mostly its fixed cost (DDL, a page, the swap: 30–150 ms). */
const FEW_EVENTS = 100_000;

export interface RebuildBenchOptions {
  readonly url: string;
  readonly db: Db;
  /** Generated when the log is empty: about this many opportunity events across `opportunities` opportunities, and the other kinds' (rebuildLog.ts). */
  readonly events: number;
  readonly opportunities?: number;
  readonly writers?: number;
  /** Only these read models; every one when absent. */
  readonly only?: readonly string[];
  /** Generate even when the log has events (npm run bench's, which holds its other parts' events). */
  readonly generate?: boolean;
}

/** Appends `streams` in rounds of ROUND events per stream, `writers` at a time; `longest`: the longest stream's length. */
async function generate(store: EventStore, streams: readonly BenchStream[], longest: number, writers: number): Promise<void> {
  const gen = progressLine('generating');
  const started = Date.now();
  let written = 0;
  const at = new Date('2026-01-05T09:00:00Z');
  for (let from = 0; from < longest; from += ROUND) {
    let next = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let i = next++; i < streams.length; i = next++) {
          const s = streams[i]!;
          const events = [];
          for (let n = from; n < from + ROUND; n++) {
            const event = s.event(n);
            if (!event) break;
            events.push(
              toEventToAppend(event, {
                eventId: newEventId(), // as the command handler names them
                timestamp: new Date(at.getTime() + n * 3_600_000),
                aggregateId: s.aggregateId,
                tenantId: 'bench',
                metadata: { correlationId: 'bench', causationId: null, userId: `rep-${i % 50}`, schemaVersion: SCHEMA_VERSION },
              }),
            );
          }
          if (events.length === 0) continue;
          await store.append(s.streamId, events, from === 0 ? 'no_stream' : BigInt(from - 1));
          written += events.length;
          const secs = (Date.now() - started) / 1000;
          gen.update(written, undefined, written / secs, undefined);
        }
      }),
    );
  }
  gen.finish();
  console.log(`generated ${written} events across ${streams.length} streams in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * A log is rebuilt long after it was written, when autovacuum has been through it. Right
 * after a bulk write, the first read would pay for that (hint bits on every row).
 */
async function vacuum(db: Db): Promise<void> {
  const vacuumed = Date.now();
  await db.raw('vacuum (analyze) es_events');
  console.log(`vacuumed the log in ${((Date.now() - vacuumed) / 1000).toFixed(1)} s, as autovacuum would have before a rebuild`);
}

const chosen = (only?: readonly string[]) => projections.filter((p) => !only || only.includes(p.name));

/** One read model rebuilt from position 0, and its line. */
async function rebuildOne(db: Db, store: EventStore, projection: Projection): Promise<{ done: number; elapsedMs: number }> {
  // From position 0 every time: an interrupted earlier run's shadow would otherwise resume.
  await db('projection_checkpoints').where({ name: `${projection.name}#rebuild` }).delete();
  const bar = progressLine(`rebuild ${projection.name}`);
  const r = await rebuildProjection({ db, store }, projection, {
    onProgress: (p) => bar.update(p.done, p.total, p.eventsPerSecond, p.etaMs),
  });
  bar.finish();
  console.log(
    r.done === 0
      ? `rebuild ${projection.name}: none of its event types in the generated log (${(r.elapsedMs / 1000).toFixed(1)} s)`
      : `rebuild ${projection.name}: ${r.done} events in ${(r.elapsedMs / 1000).toFixed(1)} s = ${Math.round(r.eventsPerSecond)} events/s ${
          r.done >= FEW_EVENTS ? '(target ≥ 30,000)' : '(the target is over 1,000,000 events; this few mostly measure a rebuild\'s fixed cost: --own-log)'
        }`,
  );
  return r;
}

/** Rebuilds every read model (or `only`) from position 0 over the log, one line each. */
export async function benchRebuilds(opts: RebuildBenchOptions): Promise<void> {
  const opps = opts.opportunities ?? 10_000;
  const store = createPostgresEventStore({ connection: opts.url });
  const db = opts.db;
  try {
    // An existing database with a log (--url) is rebuilt as it is: generating takes minutes.
    if (opts.generate || (await store.headPosition()).commit === 0n) {
      const per = Math.max(2, Math.round(opts.events / opps));
      await generate(store, benchStreams(opps, per), per, opts.writers ?? 4);
      await vacuum(db);
    }
    let all = 0;
    let allMs = 0;
    for (const projection of chosen(opts.only)) {
      const r = await rebuildOne(db, store, projection);
      all += r.done;
      allMs += r.elapsedMs;
    }
    console.log(`all read models: ${all} events applied in ${(allMs / 1000).toFixed(1)} s = ${Math.round((all * 1000) / allMs)} events/s`);
  } finally {
    await store.close();
  }
}

/** Each read model (or `only`) over a log of `events` events of its own kinds, a fresh database each. */
export async function benchOwnLogs(opts: { events: number; writers: number; only?: readonly string[] }): Promise<void> {
  for (const projection of chosen(opts.only)) {
    const database = await benchDatabase('bench_own');
    const store = createPostgresEventStore({ connection: database.url });
    try {
      console.log(`${projection.name}: a log of its own kinds alone`);
      await generate(store, ownStreams(projection.eventTypes, opts.events), ROUND, opts.writers);
      await vacuum(database.db);
      await rebuildOne(database.db, store, projection);
    } finally {
      await store.close();
      await database.drop();
    }
  }
}

// npm run bench:rebuild: this part alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      opportunities: { type: 'string', default: '10000' },
      events: { type: 'string', default: '1000000' },
      writers: { type: 'string', default: '4' },
      only: { type: 'string' },
      url: { type: 'string' },
      'own-log': { type: 'boolean', default: false },
    },
  });
  // Ctrl-C exits (an interrupted rebuild resumes; node --cpu-prof still writes its profile).
  process.on('SIGINT', () => process.exit(130));
  const only = values.only ? { only: values.only.split(',') } : {};
  if (values['own-log']) {
    await benchOwnLogs({ events: Number(values.events), writers: Number(values.writers), ...only });
    process.exit(0);
  }
  const database = values.url ? { url: values.url, db: createDb(values.url), drop: async () => undefined } : await benchDatabase('bench_rebuild');
  try {
    await benchRebuilds({
      url: database.url,
      db: database.db,
      events: Number(values.events),
      opportunities: Number(values.opportunities),
      writers: Number(values.writers),
      ...only,
    });
  } finally {
    if (values.url) await database.db.destroy();
    await database.drop();
  }
  process.exit(0);
}
