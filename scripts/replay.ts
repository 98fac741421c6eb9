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

/**
 * Rebuilds and compliance replays, from the command line:
 *   npm run replay -- rebuild <projection|all>   offline rebuild from position 0 (stop the service first)
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
  const { url, embedded } = await resolveDatabase(config, log);
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
      const interactive = process.stderr.isTTY;
      let lastPrint = 0;
      const summary = await rebuildProjection({ db, store }, projection, {
        onProgress: (p) => {
          if (Date.now() - lastPrint < 250) return;
          lastPrint = Date.now();
          const rate = p.elapsedMs > 0 ? Math.round((p.events * 1000) / p.elapsedMs) : 0;
          const line = `${projection.name}: ${p.events} events, ${rate} events/s, at ${formatPosition(p.position)} of ${formatPosition(p.head)}`;
          process.stderr.write(interactive ? `\r${line}   ` : `${line}\n`);
        },
      });
      const rate = summary.elapsedMs > 0 ? Math.round((summary.events * 1000) / summary.elapsedMs) : summary.events;
      process.stderr.write(interactive ? '\n' : '');
      process.stdout.write(
        `rebuilt ${projection.name} v${projection.version}: ${summary.events} events in ${(summary.elapsedMs / 1000).toFixed(1)} s (${rate} events/s), checkpoint ${formatPosition(summary.position)}\n`,
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
