import { parseArgs } from 'node:util';
import { STREAM_CATEGORIES } from '../src/aggregates/categories.js';
import { AGGREGATES } from '../src/aggregates/registry.js';
import { type AuditScope, auditCsvHeader, auditCsvRow, auditJsonLine, auditTrail } from '../src/compliance/audit.js';
import { type Moment, aggregateStateAsOf } from '../src/compliance/asOf.js';
import { loadConfig } from '../src/config.js';
import { resolveDatabase } from '../src/db/connect.js';
import { type Db, createDb, migrateLatest } from '../src/db/knex.js';
import { fromRecorded } from '../src/eventstore/envelope.js';
import { createEventStoreDbStore } from '../src/eventstore/esdb/store.js';
import type { EventStore } from '../src/eventstore/port.js';
import { formatPosition } from '../src/eventstore/port.js';
import { createPostgresEventStore } from '../src/eventstore/postgres/store.js';
import { TENANT_ID_PATTERN, parseStreamName } from '../src/eventstore/streams.js';
import { personalDataLayer } from '../src/privacy/layer.js';
import { sealExistingPersonalData } from '../src/privacy/sealExisting.js';
import type { SubjectVault } from '../src/privacy/subjects.js';
import { projections } from '../src/projections/index.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { jsonReplacer } from '../src/shared/case.js';
import { createLogger } from '../src/shared/logger.js';
import { progressLine } from '../src/shared/progress.js';
import { headDigest, verify } from './replayChain.js';
import { UsageError } from './usage.js';

/**
 * Rebuilds and compliance replays, from the command line (beside a running service too):
 *   rebuild <projection|all>     rebuild from position 0 beside the serving tables, then swap
 *                                in; progress bar; resumes after an interruption
 *   audit --tenant T [--customer C | --stream S] [--from ISO] [--to ISO] [--format jsonl|csv]
 *                                the audit trail, one line per event, to stdout
 *   as-of <stream> <instant|revision>
 *                                an aggregate's state at a past moment, as JSON
 *   stream <stream>              the stream's events as JSON lines
 *   verify [--tenant T | --stream S] [--digest D --as-of I]
 *                                recompute the hash chains; against a kept head digest
 *   head-digest --tenant T [--date YYYY-MM-DD | --as-of I]
 *                                the tenant's head digest, to keep outside the system
 *   seal-personal-data           once, after upgrading a log written before personal data
 *                                was encrypted: seals it in place and re-chains those streams
 *   list                         the projections
 */
const usage = `usage: npm run replay -- <command>
  rebuild <${projections.map((p) => p.name).join('|')}|all>
  audit --tenant <tenant> [--customer <id> | --stream <stream>] [--from <instant>] [--to <instant>] [--format jsonl|csv]
  as-of <stream> <instant|revision>      e.g. as-of opportunity-tenant-001:OPP-100 2026-02-02T12:00:00Z
  stream <stream>
  verify [--tenant <tenant> | --stream <stream>] [--digest <hex> --as-of <instant>]   exit 1 when a chain is broken or the digest differs
  head-digest --tenant <tenant> [--date <YYYY-MM-DD> | --as-of <instant>]
  seal-personal-data                     PostgreSQL store: encrypt personal data written before it was sealed (rewrites those streams once; take new head digests)
  list`;

/**
 * stdout closed under us (`| head`): EPIPE. The reader has what it wanted, so the commands stop
 * writing, the database (and an embedded server we started) is closed as usual, and the exit
 * is quiet and 0, like other Unix filters. Without this listener Node throws the error.
 */
let stdoutError: NodeJS.ErrnoException | undefined;
const stdoutClosed = new Promise<void>((resolve) =>
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    stdoutError ??= err;
    resolve();
  }),
);

/** Writes a line to stdout, waiting while the reader is behind; false once stdout is closed. */
async function emit(text: string): Promise<boolean> {
  if (stdoutError) return false;
  if (!process.stdout.write(text)) await Promise.race([new Promise((r) => process.stdout.once('drain', r)), stdoutClosed]);
  return stdoutError === undefined;
}

const bigintJson = (value: unknown) => JSON.stringify(value, jsonReplacer);

function instant(text: string | undefined, what: string): Date | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${what} "${text}" is not an ISO-8601 instant`);
  return new Date(t);
}

async function rebuild(deps: { db: Db; store: EventStore }, args: string[]): Promise<void> {
  const name = args[0];
  const selected = name === 'all' ? projections : projections.filter((p) => p.name === name);
  if (!name || selected.length === 0) throw new UsageError(`unknown projection "${name ?? ''}"`);
  for (const projection of selected) {
    const bar = progressLine(`${projection.name} v${projection.version}`);
    const summary = await rebuildProjection(deps, projection, {
      onProgress: (p) => bar.update(p.done, p.total, p.eventsPerSecond, p.etaMs, p.phase === 'swapping' ? '(swapping in)' : ''),
    });
    bar.finish();
    process.stdout.write(
      `rebuilt ${projection.name} v${projection.version}${summary.resumed ? ' (resumed)' : ''}: ${summary.done} events in ` +
        `${(summary.elapsedMs / 1000).toFixed(1)} s (${Math.round(summary.eventsPerSecond)} events/s), swapped in at ${formatPosition(summary.position)}\n`,
    );
  }
}

async function audit(deps: { store: EventStore }, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      tenant: { type: 'string' },
      customer: { type: 'string' },
      stream: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
    },
  });
  if (values.stream === undefined && !TENANT_ID_PATTERN.test(values.tenant ?? '')) throw new UsageError('--tenant <tenant> is required');
  if (values.format !== 'jsonl' && values.format !== 'csv') throw new UsageError('--format is jsonl or csv');
  const scope: AuditScope = values.stream
    ? { kind: 'stream', streamId: values.stream }
    : values.customer
      ? { kind: 'customer', tenantId: values.tenant!, customerId: values.customer, categories: STREAM_CATEGORIES }
      : { kind: 'tenant', tenantId: values.tenant!, categories: STREAM_CATEGORIES };
  const from = instant(values.from, '--from');
  const to = instant(values.to, '--to');
  const csv = values.format === 'csv';
  if (csv && !(await emit(auditCsvHeader()))) return;
  let lines = 0;
  for await (const record of auditTrail(deps.store, scope, { ...(from ? { from } : {}), ...(to ? { to } : {}) })) {
    if (!(await emit(csv ? auditCsvRow(record) : auditJsonLine(record)))) return;
    lines++;
  }
  process.stderr.write(`${lines} events\n`);
}

async function asOf(deps: { store: EventStore }, args: string[]): Promise<void> {
  const [stream, at] = args;
  const identity = stream ? parseStreamName(stream) : undefined;
  const aggregate = identity ? AGGREGATES[identity.category as keyof typeof AGGREGATES] : undefined;
  if (!identity || !aggregate) throw new UsageError(`"${stream ?? ''}" is not a stream of ${STREAM_CATEGORIES.join(', ')}`);
  if (!at) throw new UsageError('give an instant or a revision');
  const moment: Moment = /^\d+$/.test(at) ? { revision: BigInt(at) } : { at: instant(at, 'moment')! };
  const { state, revision, events } = await aggregateStateAsOf(deps.store, aggregate, stream!, moment);
  const last = events.at(-1);
  process.stdout.write(`${bigintJson({ stream, revision, as_of_event: last ? { event_id: last.eventId, timestamp: last.timestamp, actor: last.metadata.userId } : null, state })}\n`);
}

async function streamEvents(deps: { store: EventStore }, args: string[]): Promise<void> {
  if (!args[0]) throw new UsageError('give a stream name');
  for (const r of await deps.store.readStream(args[0])) {
    const e = fromRecorded(r);
    if (!(await emit(`${bigintJson({ ...e, position: formatPosition(e.position) })}\n`))) return;
  }
}

/** A command's exit code; none: 0. */
const COMMANDS: Record<string, (deps: { db: Db; store: EventStore; storedLog: EventStore; vault: SubjectVault; esdb: boolean }, args: string[]) => Promise<number | void>> = {
  rebuild,
  audit,
  'as-of': asOf,
  stream: streamEvents,
  verify,
  'head-digest': headDigest,
  'seal-personal-data': sealPersonalData,
};

async function sealPersonalData(deps: { db: Db; vault: SubjectVault; esdb: boolean }): Promise<number> {
  if (deps.esdb) throw new UsageError('seal-personal-data rewrites PostgreSQL events; EventStoreDB events cannot be changed');
  const bar = progressLine('seal');
  const started = Date.now();
  const { sealed, streams } = await sealExistingPersonalData(deps.db, deps.vault, (done) => bar.update(done, undefined, done / Math.max(0.001, (Date.now() - started) / 1000), undefined, 'events read'));
  bar.finish();
  process.stdout.write(`sealed ${sealed} events in ${streams} streams; chains recomputed: run verify, take new head digests\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'list') {
    for (const p of projections) process.stdout.write(`${p.name}\tv${p.version}\t${p.eventTypes.join(',')}\n`);
    return 0;
  }
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const { url, embedded } = await resolveDatabase(config, log, { shareRunning: true });
  const db = createDb(url);
  const storedLog: EventStore = config.EVENTSTORE_URL ? createEventStoreDbStore(config.EVENTSTORE_URL) : createPostgresEventStore({ connection: url });
  // Replays read personal data as the service does (erased subjects erased); verify reads it as stored.
  const { store, vault } = personalDataLayer(storedLog, db, { current: config.PRIVACY_MASTER_KEY, previous: config.PRIVACY_MASTER_KEY_PREVIOUS });
  try {
    await migrateLatest(db);
    return (await run({ db, store, storedLog, vault, esdb: Boolean(config.EVENTSTORE_URL) }, args)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${usage}\n`);
      return 2;
    }
    throw err;
  } finally {
    await store.close();
    await db.destroy();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (stdoutError && stdoutError.code !== 'EPIPE') {
      process.stderr.write(`replay failed: writing to stdout: ${stdoutError.message}\n`);
      process.exit(1);
    }
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`replay failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
