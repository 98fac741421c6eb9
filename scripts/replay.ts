import { loadConfig } from '../src/config.js';
import { resolveDatabase } from '../src/db/connect.js';
import { createDb, migrateLatest } from '../src/db/knex.js';
import { fromRecorded } from '../src/eventstore/envelope.js';
import { createEventStoreDbStore } from '../src/eventstore/esdb/store.js';
import type { EventStore } from '../src/eventstore/port.js';
import { formatPosition } from '../src/eventstore/port.js';
import { createPostgresEventStore } from '../src/eventstore/postgres/store.js';
import { projections } from '../src/projections/index.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import type { Projection } from '../src/projections/runner.js';
import { createLogger } from '../src/shared/logger.js';
import { progressLine } from '../src/shared/progress.js';

/**
 * Rebuilds and compliance replays, from the command line:
 *   npm run replay -- rebuild <projection|all>   rebuild from position 0 beside the serving tables,
 *                                                then swap in; resumes after an interruption
 *   npm run replay -- stream <stream-name>        the stream's audit trail as JSON lines
 *   npm run replay -- list                        the projections
 */
const PROJECTIONS: readonly Projection[] = projections;

const usage = `usage: npm run replay -- rebuild <${PROJECTIONS.map((p) => p.name).join('|')}|all>
       npm run replay -- stream <stream-name>
       npm run replay -- list`;

async function main(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  if (command === 'list') {
    for (const p of PROJECTIONS) process.stdout.write(`${p.name}\tv${p.version}\t${p.eventTypes.join(',')}\n`);
    return 0;
  }
  if ((command !== 'rebuild' && command !== 'stream') || !arg) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const selected = command === 'rebuild' ? (arg === 'all' ? PROJECTIONS : PROJECTIONS.filter((p) => p.name === arg)) : [];
  if (command === 'rebuild' && selected.length === 0) {
    process.stderr.write(`unknown projection "${arg}"\n${usage}\n`);
    return 2;
  }

  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const { url, embedded } = await resolveDatabase(config, log, { shareRunning: true });
  const db = createDb(url);
  const store: EventStore = config.EVENTSTORE_URL ? createEventStoreDbStore(config.EVENTSTORE_URL) : createPostgresEventStore({ connection: url });
  try {
    await migrateLatest(db);
    if (command === 'stream') {
      for (const r of await store.readStream(arg)) {
        const e = fromRecorded(r);
        const line = { ...e, revision: e.revision.toString(), position: formatPosition(e.position) };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
      return 0;
    }
    for (const projection of selected) {
      const bar = progressLine(`${projection.name} v${projection.version}`);
      const summary = await rebuildProjection({ db, store }, projection, {
        onProgress: (p) => bar.update(p.done, p.total, p.eventsPerSecond, p.etaMs, p.phase === 'swapping' ? '(swapping in)' : ''),
      });
      bar.finish();
      process.stdout.write(
        `rebuilt ${projection.name} v${projection.version}${summary.resumed ? ' (resumed)' : ''}: ${summary.done} events in ` +
          `${(summary.elapsedMs / 1000).toFixed(1)} s (${Math.round(summary.eventsPerSecond)} events/s), swapped in at ${formatPosition(summary.position)}\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
    await db.destroy();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`replay failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
